"""Browser sessions of the web app, kept in the database so that every API process (and a
restarted one) knows them."""

from __future__ import annotations

import abc

from leadflow.model.web_sessions import WebSession


class WebSessionStore(abc.ABC):
    """The web-session methods of the store contract."""

    @abc.abstractmethod
    def open_web_session(self, session: WebSession) -> None:
        """Store a new session (its digest is new: a random id's SHA-256)."""

    @abc.abstractmethod
    def get_web_session(self, digest: str) -> WebSession | None: ...

    @abc.abstractmethod
    def touch_web_session(self, digest: str, seen_at: float) -> None:
        """Record the session's last request (no-op when it is gone)."""

    @abc.abstractmethod
    def close_web_session(self, digest: str) -> bool:
        """End one session; True when there was one."""

    @abc.abstractmethod
    def close_key_web_sessions(self, key_id: str) -> int:
        """End every session signed in with the key ``key_id``; how many there were."""

    @abc.abstractmethod
    def prune_web_sessions(self, seen_before: float, started_before: float) -> int:
        """Delete the sessions idle since ``seen_before`` or started before
        ``started_before``; how many."""


__all__ = ["WebSessionStore"]
