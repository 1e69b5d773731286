"""Web sessions on SQLite and PostgreSQL (the same SQL, ``?`` placeholders turned into each
database's style by its :class:`~leadflow.store.sql_common.Dialect`)."""

from __future__ import annotations

from leadflow.model.web_sessions import WebSession
from leadflow.store.contract_web_sessions import WebSessionStore
from leadflow.store.parts import SqlPart

_COLS = "digest, key_id, tenant_id, csrf, started_at, seen_at"


class SqlWebSessions(SqlPart, WebSessionStore):
    """The web-session methods of the Store contract for the two SQL backends."""

    def open_web_session(self, session: WebSession) -> None:
        s = session
        self._change(
            f"INSERT INTO web_sessions ({_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
            (s.digest, s.key_id, s.tenant_id, s.csrf, s.started_at, s.seen_at),
        )

    def get_web_session(self, digest: str) -> WebSession | None:
        row = self._fetch_one(f"SELECT {_COLS} FROM web_sessions WHERE digest = ?", (digest,))
        if row is None:
            return None
        return WebSession(row[0], row[1], row[2], row[3], float(row[4]), float(row[5]))

    def touch_web_session(self, digest: str, seen_at: float) -> None:
        self._change("UPDATE web_sessions SET seen_at = ? WHERE digest = ?", (seen_at, digest))

    def close_web_session(self, digest: str) -> bool:
        return bool(self._change("DELETE FROM web_sessions WHERE digest = ?", (digest,)))

    def close_key_web_sessions(self, key_id: str) -> int:
        return self._change("DELETE FROM web_sessions WHERE key_id = ?", (key_id,))

    def prune_web_sessions(self, seen_before: float, started_before: float) -> int:
        return self._change(
            "DELETE FROM web_sessions WHERE seen_at < ? OR started_at < ?",
            (seen_before, started_before),
        )
