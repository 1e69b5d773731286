"""Browser sessions: an API key exchanged once for an HttpOnly, SameSite=Strict cookie.

The web app signs in by POSTing a key to ``/api/v1/session``; the answer sets the cookie
:data:`COOKIE` (a random session id; the key itself is never kept, only the key's public id) and
returns a CSRF token that the app sends back in :data:`CSRF_HEADER` with every write
(anything but GET, HEAD and OPTIONS). A request with a session cookie is then the key's caller,
with the same tenant, role and scope as the key header gives; the key is re-checked (revoked,
agent no longer active) every ``recheck_s`` seconds.

Sessions live in the serving process (a ``leadflow serve --processes N`` server keeps one table
per process, so the web app needs ``--processes 1``, the default); they end on sign-out, after
:data:`IDLE_S` without a request, and at :data:`MAX_AGE_S` after sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from leadflow.tenancy.accounts import Principal

COOKIE = "leadflow_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_AGE_S = 12 * 3600.0
IDLE_S = 2 * 3600.0
MAX_SESSIONS = 50_000


@dataclass
class Session:
    principal: Principal
    csrf: str
    started: float
    seen: float
    checked: float

    def expires_at(self) -> float:
        return min(self.started + MAX_AGE_S, self.seen + IDLE_S)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionTable:
    """Open sessions by the SHA-256 of their id (a memory dump holds no usable cookie)."""

    def __init__(self, recheck_s: float = 5.0) -> None:
        self.recheck_s = recheck_s
        self._open: dict[str, Session] = {}

    def open(self, principal: Principal, now: float) -> tuple[str, Session]:
        """A new session for ``principal``: its id (for the cookie) and the session."""
        if len(self._open) >= MAX_SESSIONS:
            self._drop_expired(now)
        session_id = secrets.token_urlsafe(32)
        session = Session(principal, secrets.token_urlsafe(24), now, now, now)
        self._open[_digest(session_id)] = session
        return session_id, session

    def find(self, session_id: str, now: float) -> Session | None:
        """The open session of ``session_id`` (its last use moved to ``now``), or None."""
        if not session_id:
            return None
        key = _digest(session_id)
        session = self._open.get(key)
        if session is None:
            return None
        if session.expires_at() <= now:
            del self._open[key]
            return None
        session.seen = now
        return session

    def close(self, session_id: str) -> bool:
        return self._open.pop(_digest(session_id), None) is not None

    def close_key(self, key_id: str) -> None:
        """End every session signed in with the key ``key_id`` (it was revoked)."""
        for key, session in list(self._open.items()):
            if session.principal.key_id == key_id:
                del self._open[key]

    def _drop_expired(self, now: float) -> None:
        for key, session in list(self._open.items()):
            if session.expires_at() <= now:
                del self._open[key]
        if len(self._open) >= MAX_SESSIONS:  # still full: the oldest go
            oldest = sorted(self._open, key=lambda k: self._open[k].seen)
            for key in oldest[: len(oldest) // 10 or 1]:
                del self._open[key]


def csrf_matches(session: Session, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(session.csrf, presented)


__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "Session",
    "SessionTable",
    "csrf_matches",
]
