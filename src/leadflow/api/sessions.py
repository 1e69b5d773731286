"""Browser sessions: an API key exchanged once for an HttpOnly, SameSite=Strict cookie.

The web app signs in by POSTing a key to ``/api/v1/session``; the answer sets the cookie
:data:`COOKIE` (a random session id) and returns a CSRF token that the app sends back in
:data:`CSRF_HEADER` with every write (anything but GET, HEAD and OPTIONS). A request with a
session cookie is then the key's caller, with the same tenant, role and scope as the key header
gives.

Sessions are kept in the database (``web_sessions``: the SHA-256 of the id, the key's public id,
never the key), so every API process of ``leadflow serve --processes N`` knows them, and a
sign-out or a revoked key ends them everywhere: each request reads its session's row; who the
key is (role, agent, team; revoked or not) is re-read every ``recheck_s`` seconds. Sessions end
on sign-out, after :data:`IDLE_S` without a request and :data:`MAX_AGE_S` after sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from leadflow.model.web_sessions import WebSession
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal, principal_of_key

COOKIE = "leadflow_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_AGE_S = 12 * 3600.0
IDLE_S = 2 * 3600.0
TOUCH_S = 60.0  # a session's last use is written at most this often
PRUNE_S = 3600.0  # ended sessions are deleted at a sign-in at most this often


@dataclass
class Session:
    principal: Principal
    csrf: str
    started: float
    seen: float

    def expires_at(self) -> float:
        return min(self.started + MAX_AGE_S, self.seen + IDLE_S)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionTable:
    """The sessions of the store, with who each one's key is cached for ``recheck_s``. Every
    method reads or writes the store: call them from a worker thread."""

    def __init__(self, recheck_s: float = 5.0) -> None:
        self.recheck_s = recheck_s
        self._principals: dict[str, tuple[Principal, float]] = {}
        self._pruned = float("-inf")

    def open(self, store: Store, principal: Principal, now: float) -> tuple[str, Session]:
        """A new session for ``principal``: its id (for the cookie) and the session."""
        if now - self._pruned >= PRUNE_S:
            self._pruned = now
            store.prune_web_sessions(now - IDLE_S, now - MAX_AGE_S)
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        digest = _digest(session_id)
        store.open_web_session(
            WebSession(digest, principal.key_id, principal.tenant_id, csrf, now, now)
        )
        self._principals[digest] = (principal, now)
        return session_id, Session(principal, csrf, now, now)

    def find(self, store: Store, session_id: str, now: float) -> Session | None:
        """The open session of ``session_id`` (its last use moved to ``now``), or None: unknown,
        ended, over its time, or its key revoked (then all the key's sessions end)."""
        if not session_id:
            return None
        digest = _digest(session_id)
        row = store.get_web_session(digest)
        if row is None:
            self._principals.pop(digest, None)
            return None
        session = Session(
            Principal(row.tenant_id, "", row.key_id), row.csrf, row.started_at, row.seen_at
        )
        if session.expires_at() <= now:
            self.close(store, session_id)
            return None
        cached = self._principals.get(digest)
        if cached is None or now - cached[1] >= self.recheck_s:
            principal = principal_of_key(store, row.key_id)
            if principal is None or principal.tenant_id != row.tenant_id:
                self.close_key(store, row.key_id)
                return None
            cached = (principal, now)
            if len(self._principals) >= 10_000:
                self._principals.clear()
            self._principals[digest] = cached
        if now - row.seen_at >= TOUCH_S:
            store.touch_web_session(digest, now)
        session.principal, session.seen = cached[0], now
        return session

    def close(self, store: Store, session_id: str) -> bool:
        digest = _digest(session_id)
        self._principals.pop(digest, None)
        return store.close_web_session(digest)

    def close_key(self, store: Store, key_id: str) -> None:
        """End every session signed in with the key ``key_id`` (it was revoked)."""
        for digest, (principal, _) in list(self._principals.items()):
            if principal.key_id == key_id:
                del self._principals[digest]
        store.close_key_web_sessions(key_id)


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
