"""The sandbox provider's ledger on SQLite and PostgreSQL: the shared reads and batch write,
and each database's way of recording a delivery (:meth:`SqlSandbox._deliver`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.model.records import SandboxDelivery
from leadflow.store import sqlfiles
from leadflow.store.codec import SANDBOX_COLS, sandbox_from_row
from leadflow.store.contract_sandbox import SandboxItem, SandboxLedger
from leadflow.store.parts import SqlPart
from leadflow.store.sql_rows import check_sandbox_keys


class SqlSandbox(SqlPart, SandboxLedger):
    """The ledger methods; a dialect's subclass records the deliveries."""

    _dialect_name: str

    def sandbox_deliver_many(self, items: Sequence[SandboxItem], now: float) -> list[bool]:
        if not items:
            return []
        check_sandbox_keys(items)
        wanted = self._dialect.values(item[0] for item in items)
        with self._write() as conn:
            seen = {
                r[0]
                for r in conn.execute(
                    "SELECT idempotency_key FROM sandbox_deliveries "
                    f"WHERE idempotency_key {self._dialect.in_texts}",
                    (wanted,),
                )
            }
            return self._deliver(conn, items, seen, now)

    def _deliver(
        self, conn: Any, items: Sequence[SandboxItem], seen: set[str], now: float
    ) -> list[bool]:
        """Record the deliveries (``seen``: the keys already in the ledger): whether each one
        is new."""
        raise NotImplementedError

    def sandbox_lookup(self, idempotency_key: str) -> SandboxDelivery | None:
        return self._fetch_one_as(
            sandbox_from_row,
            f"SELECT {SANDBOX_COLS} FROM sandbox_deliveries WHERE idempotency_key = ?",
            (idempotency_key,),
        )

    def sandbox_deliveries(self) -> list[SandboxDelivery]:
        sql = sqlfiles.query(self._dialect_name, "sandbox_deliveries", SANDBOX_COLS=SANDBOX_COLS)
        with self._read() as conn:
            rows = conn.execute(sql).fetchall()
        return [sandbox_from_row(r) for r in rows]


class SqliteSandbox(SqlSandbox):
    """SQLite writes alone (one writer at a time): new keys in one batch insert."""

    def _deliver(
        self, conn: Any, items: Sequence[SandboxItem], seen: set[str], now: float
    ) -> list[bool]:
        out: list[bool] = []
        new_rows: list[tuple[Any, ...]] = []
        again: dict[str, int] = {}
        for key, channel, to, body, provider_id in items:
            if key in seen:
                out.append(False)
                again[key] = again.get(key, 0) + 1
                continue
            seen.add(key)
            out.append(True)
            new_rows.append((key, channel, to, body, provider_id, now))
        conn.executemany(
            f"INSERT INTO sandbox_deliveries ({SANDBOX_COLS}) VALUES (?, ?, ?, ?, ?, ?, 0)",
            new_rows,
        )
        conn.executemany(
            "UPDATE sandbox_deliveries SET duplicates = duplicates + ? WHERE idempotency_key = ?",
            [(n, key) for key, n in again.items()],
        )
        return out


class PgSandbox(SqlSandbox):
    """PostgreSQL has concurrent writers: a delivery of the same key may land first."""

    def _deliver(
        self, conn: Any, items: Sequence[SandboxItem], seen: set[str], now: float
    ) -> list[bool]:
        out: list[bool] = []
        for key, channel, to, body, provider_id in items:
            if key in seen:
                conn.execute(
                    "UPDATE sandbox_deliveries SET duplicates = duplicates + 1 "
                    "WHERE idempotency_key = %s",
                    (key,),
                )
                out.append(False)
                continue
            # a concurrent delivery of the same key may land first: then this is a duplicate
            row = conn.execute(
                f"INSERT INTO sandbox_deliveries ({SANDBOX_COLS}) "
                "VALUES (%s, %s, %s, %s, %s, %s, 0) ON CONFLICT (idempotency_key) "
                "DO UPDATE SET duplicates = sandbox_deliveries.duplicates + 1 "
                "RETURNING (xmax = 0)",
                (key, channel, to, body, provider_id, now),
            ).fetchone()
            seen.add(key)
            out.append(bool(row is not None and row[0]))
        return out


__all__ = ["PgSandbox", "SqlSandbox", "SqliteSandbox"]
