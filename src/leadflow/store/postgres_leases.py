"""PostgreSQL: leases on work in flight -- renewing a message's lease just before its send,
listing who holds what, releasing a dead worker's leases -- and the shared virtual clock."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.store.postgres_base import TEXTS, PgBase
from leadflow.store.rules import meta_number
from leadflow.store.sql_common import LEASED_TABLES, REPLIES

# Claims of messages take this transaction-level advisory lock first, so each claim's statement
# sees every lease the claims before it committed (one contact, one dispatching worker).
MESSAGE_CLAIM_LOCK = 0x1EAD_F10E


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

    def release_leases(self, owners: Sequence[str]) -> int:
        if not owners:
            return 0
        released = 0
        with self._write() as conn:
            for table, live in LEASED_TABLES:
                cur = conn.execute(
                    f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL "
                    f"WHERE lease_owner = {TEXTS} AND {live}",
                    (list(owners),),
                )
                released += cur.rowcount
            if released:
                self._notify(conn)
        return released


__all__ = ["MESSAGE_CLAIM_LOCK", "REPLIES", "PgLeases"]
