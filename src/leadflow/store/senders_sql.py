"""Tenant senders on SQLite and PostgreSQL (one SQL, each database's placeholder style)."""

from __future__ import annotations

from leadflow.model.senders import SENDER_COLS, Sender
from leadflow.store.contract_senders import SenderStore
from leadflow.store.parts import SqlPart, from_row

_ORDER = "ORDER BY kind, created_at, address"


class SqlSenders(SqlPart, SenderStore):
    def add_sender(self, sender: Sender, now: float) -> str:
        row = self._write_then_read(
            f"INSERT INTO tenant_senders ({SENDER_COLS}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, address) DO UPDATE SET label = excluded.label "
            "WHERE tenant_senders.tenant_id = excluded.tenant_id",
            (sender.tenant_id, sender.kind, sender.address, sender.label, now),
            "SELECT tenant_id FROM tenant_senders WHERE kind = ? AND address = ?",
            (sender.kind, sender.address),
        )
        return str(row[0])

    def remove_sender(self, tenant_id: str, kind: str, address: str) -> bool:
        return bool(
            self._change(
                "DELETE FROM tenant_senders WHERE tenant_id = ? AND kind = ? AND address = ?",
                (tenant_id, kind, address),
            )
        )

    def list_senders(self, tenant_id: str) -> list[Sender]:
        return self._fetch_as(
            from_row(Sender),
            f"SELECT {SENDER_COLS} FROM tenant_senders WHERE tenant_id = ? {_ORDER}",
            (tenant_id,),
        )

    def sender_owner(self, kind: str, address: str) -> str | None:
        row = self._fetch_one(
            "SELECT tenant_id FROM tenant_senders WHERE kind = ? AND address = ?",
            (kind, address),
        )
        return None if row is None else str(row[0])
