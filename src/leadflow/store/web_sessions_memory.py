"""Web sessions in the memory backend (the same rules as the SQL backends)."""

from __future__ import annotations

import dataclasses

from leadflow.model.web_sessions import WebSession
from leadflow.store.contract_web_sessions import WebSessionStore
from leadflow.store.parts import MemoryPart


class MemoryWebSessions(MemoryPart, WebSessionStore):
    def _web_sessions(self) -> dict[str, WebSession]:
        return self._table("_web_sessions_data", dict)

    def open_web_session(self, session: WebSession) -> None:
        with self._lock:
            self._web_sessions()[session.digest] = session

    def get_web_session(self, digest: str) -> WebSession | None:
        with self._lock:
            return self._web_sessions().get(digest)

    def touch_web_session(self, digest: str, seen_at: float) -> None:
        with self._lock:
            found = self._web_sessions().get(digest)
            if found is not None:
                self._web_sessions()[digest] = dataclasses.replace(found, seen_at=seen_at)

    def close_web_session(self, digest: str) -> bool:
        with self._lock:
            return self._web_sessions().pop(digest, None) is not None

    def close_key_web_sessions(self, key_id: str) -> int:
        with self._lock:
            table = self._web_sessions()
            gone = [d for d, s in table.items() if s.key_id == key_id]
            for digest in gone:
                del table[digest]
            return len(gone)

    def prune_web_sessions(self, seen_before: float, started_before: float) -> int:
        with self._lock:
            table = self._web_sessions()
            gone = [
                d
                for d, s in table.items()
                if s.seen_at < seen_before or s.started_at < started_before
            ]
            for digest in gone:
                del table[digest]
            return len(gone)
