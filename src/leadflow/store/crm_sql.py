"""CRM connectors on SQLite and PostgreSQL (one SQL text, each dialect's placeholders)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.model import crm as crm_model
from leadflow.model.jsonvalue import dumps, dumps_opt, loads, loads_dict, loads_opt
from leadflow.store.contract_crm import CrmStore, check_outcome
from leadflow.store.parts import SqlPart

_DELIVERY_COLS = (
    "id, tenant_id, crm, operation, idempotency_key, contact_id, status, attempts, "
    "http_status, remote_id, error, request, calls, created_at, updated_at"
)
_LOG_COLS = (
    "tenant_id, crm, contact_id, field, local_value, remote_value, winner, local_at, "
    "remote_at, at, id"
)


def _delivery(row: Sequence[Any]) -> crm_model.CrmDelivery:
    values = list(row)
    values[11] = loads_dict(values[11])
    values[12] = loads(values[12])
    return crm_model.CrmDelivery(*values)


def _entry(row: Sequence[Any]) -> crm_model.CrmSyncEntry:
    values = list(row)
    values[4], values[5] = loads_opt(values[4]), loads_opt(values[5])
    return crm_model.CrmSyncEntry(*values)


class SqlCrm(SqlPart, CrmStore):
    def put_crm_connector(
        self, connector: crm_model.CrmConnector, now: float
    ) -> crm_model.CrmConnector:
        config = dumps(connector.config)
        with self._write() as conn:
            conn.execute(
                self._dialect.sql(
                    "INSERT INTO crm_connectors (tenant_id, crm, config, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, crm) DO UPDATE SET "
                    "config = excluded.config, updated_at = excluded.updated_at"
                ),
                (connector.tenant_id, connector.crm, config, now, now),
            )
        found = self.get_crm_connector(connector.tenant_id, connector.crm)
        assert found is not None
        return found

    def get_crm_connector(self, tenant_id: str, crm: str) -> crm_model.CrmConnector | None:
        row = self._fetch_one(
            "SELECT tenant_id, crm, config, created_at, updated_at FROM crm_connectors "
            "WHERE tenant_id = ? AND crm = ?",
            (tenant_id, crm),
        )
        if row is None:
            return None
        return crm_model.CrmConnector(row[0], row[1], loads_dict(row[2]), row[3], row[4])

    def delete_crm_connector(self, tenant_id: str, crm: str) -> bool:
        return (
            self._change(
                "DELETE FROM crm_connectors WHERE tenant_id = ? AND crm = ?", (tenant_id, crm)
            )
            > 0
        )

    def begin_crm_delivery(
        self, item: crm_model.NewCrmDelivery, now: float
    ) -> tuple[crm_model.CrmDelivery, bool]:
        sql = self._dialect.sql
        request = dumps(item.request)
        with self._write() as conn:
            added = conn.execute(
                sql(
                    "INSERT INTO crm_deliveries (tenant_id, crm, operation, idempotency_key, "
                    "contact_id, status, request, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) "
                    "ON CONFLICT (tenant_id, crm, idempotency_key) DO NOTHING"
                ),
                (
                    item.tenant_id,
                    item.crm,
                    item.operation,
                    item.idempotency_key,
                    item.contact_id,
                    request,
                    now,
                    now,
                ),
            ).rowcount
            row = conn.execute(
                sql(
                    f"SELECT {_DELIVERY_COLS} FROM crm_deliveries "
                    "WHERE tenant_id = ? AND crm = ? AND idempotency_key = ?"
                ),
                (item.tenant_id, item.crm, item.idempotency_key),
            ).fetchone()
        return _delivery(row), added == 1

    def finish_crm_delivery(
        self, tenant_id: str, delivery_id: int, outcome: crm_model.CrmOutcome, now: float
    ) -> None:
        check_outcome(outcome)
        o = outcome
        sql = self._dialect.sql
        with self._write() as conn:
            row = conn.execute(
                sql("SELECT calls FROM crm_deliveries WHERE tenant_id = ? AND id = ?"),
                (tenant_id, delivery_id),
            ).fetchone()
            if row is None:
                return
            logged = dumps([*loads(row[0]), *o.calls])
            ids = (tenant_id, delivery_id)
            conn.execute(
                sql(
                    "UPDATE crm_deliveries SET status = ?, attempts = ?, http_status = ?, "
                    "remote_id = ?, error = ?, calls = ?, updated_at = ? "
                    "WHERE tenant_id = ? AND id = ?"
                ),
                (o.status, o.attempts, o.http_status, o.remote_id, o.error, logged, now, *ids),
            )

    def list_crm_deliveries(
        self, tenant_id: str, crm: str | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[crm_model.CrmDelivery]:
        where = ["tenant_id = ?"]
        params: list[Any] = [tenant_id]
        if crm is not None:
            where.append("crm = ?")
            params.append(crm)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        return self._fetch_as(
            _delivery,
            f"SELECT {_DELIVERY_COLS} FROM crm_deliveries WHERE {' AND '.join(where)} "
            "ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )

    def link_crm_contact(self, tenant_id: str, crm: str, contact_id: str, remote_id: str) -> None:
        sql = self._dialect.sql
        with self._write() as conn:
            conn.execute(
                sql(
                    "DELETE FROM crm_links WHERE tenant_id = ? AND crm = ? "
                    "AND (contact_id = ? OR remote_id = ?)"
                ),
                (tenant_id, crm, contact_id, remote_id),
            )
            conn.execute(
                sql(
                    "INSERT INTO crm_links (tenant_id, crm, contact_id, remote_id) "
                    "VALUES (?, ?, ?, ?)"
                ),
                (tenant_id, crm, contact_id, remote_id),
            )

    def crm_remote_id(self, tenant_id: str, crm: str, contact_id: str) -> str | None:
        row = self._fetch_one(
            "SELECT remote_id FROM crm_links WHERE tenant_id = ? AND crm = ? AND contact_id = ?",
            (tenant_id, crm, contact_id),
        )
        return None if row is None else str(row[0])

    def crm_contact_id(self, tenant_id: str, crm: str, remote_id: str) -> str | None:
        row = self._fetch_one(
            "SELECT contact_id FROM crm_links WHERE tenant_id = ? AND crm = ? AND remote_id = ?",
            (tenant_id, crm, remote_id),
        )
        return None if row is None else str(row[0])

    def crm_sync_state(self, tenant_id: str, crm: str, contact_id: str) -> dict[str, Any]:
        rows = self._fetch(
            "SELECT field, value FROM crm_sync_state "
            "WHERE tenant_id = ? AND crm = ? AND contact_id = ? ORDER BY field",
            (tenant_id, crm, contact_id),
        )
        return {r[0]: loads_opt(r[1]) for r in rows}

    def save_crm_sync(self, update: crm_model.CrmSyncUpdate, now: float) -> None:
        sql = self._dialect.sql
        key = (update.tenant_id, update.crm, update.contact_id)
        values = [(name, dumps_opt(value)) for name, value in update.state.items()]
        logged = [
            (
                e.tenant_id,
                e.crm,
                e.contact_id,
                e.field,
                dumps_opt(e.local_value),
                dumps_opt(e.remote_value),
                e.winner,
                e.local_at,
                e.remote_at,
                now,
            )
            for e in update.entries
        ]
        with self._write() as conn:
            for name, value in values:
                conn.execute(
                    sql(
                        "INSERT INTO crm_sync_state (tenant_id, crm, contact_id, field, value, "
                        "synced_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, crm, "
                        "contact_id, field) DO UPDATE SET value = excluded.value, "
                        "synced_at = excluded.synced_at"
                    ),
                    (*key, name, value, now),
                )
            for row in logged:
                conn.execute(
                    sql(
                        "INSERT INTO crm_sync_log (tenant_id, crm, contact_id, field, "
                        "local_value, remote_value, winner, local_at, remote_at, at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    ),
                    row,
                )

    def list_crm_sync_log(
        self, tenant_id: str, crm: str, contact_id: str | None = None, limit: int = 100
    ) -> list[crm_model.CrmSyncEntry]:
        where = "tenant_id = ? AND crm = ?"
        params: tuple[Any, ...] = (tenant_id, crm)
        if contact_id is not None:
            where += " AND contact_id = ?"
            params = (*params, contact_id)
        return self._fetch_as(
            _entry,
            f"SELECT {_LOG_COLS} FROM crm_sync_log WHERE {where} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )


__all__ = ["SqlCrm"]
