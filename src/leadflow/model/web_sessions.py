"""A signed-in browser session (see :mod:`leadflow.api.sessions`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WebSession:
    """A session of the web app. ``digest`` is the SHA-256 of the cookie's random id (the id
    itself is never stored); ``key_id`` the public id of the API key signed in with (never the
    key); ``csrf`` the token writes must carry."""

    digest: str
    key_id: str
    tenant_id: str
    csrf: str
    started_at: float
    seen_at: float


__all__ = ["WebSession"]
