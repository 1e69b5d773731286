"""PostgreSQL: leases on work in flight -- renewing a message's lease just before its send,
listing who holds what, releasing a dead worker's leases -- and the shared virtual clock."""

from __future__ import annotations

from leadflow.model.rules import meta_number
from leadflow.store.postgres_base import MESSAGE_CLAIM_LOCK, PgBase
from leadflow.store.sql_common import REPLIES


class PgLeases(PgBase):
    def raise_meta(self, key: str, value: float) -> float:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                (key, repr(float(value))),
            )
            row = conn.execute(
                "SELECT value FROM meta WHERE key = %s FOR UPDATE", (key,)
            ).fetchone()
            current = meta_number(None if row is None else str(row[0]))
            if current is not None and current >= value:
                return current
            conn.execute("UPDATE meta SET value = %s WHERE key = %s", (repr(float(value)), key))
        return float(value)


__all__ = ["MESSAGE_CLAIM_LOCK", "REPLIES", "PgLeases"]
