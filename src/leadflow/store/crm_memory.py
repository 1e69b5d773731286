"""CRM connectors in the memory backend (the same rules as the SQL backends)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any

from leadflow.model import crm as crm_model
from leadflow.store.contract_crm import CrmStore, check_outcome
from leadflow.store.memory_state import as_json
from leadflow.store.parts import MemoryPart


@dataclass(slots=True)
class _CrmTables:
    connectors: dict[tuple[str, str], crm_model.CrmConnector] = field(default_factory=dict)
    deliveries: dict[int, crm_model.CrmDelivery] = field(default_factory=dict)
    by_key: dict[tuple[str, str, str], int] = field(default_factory=dict)
    links: dict[tuple[str, str, str], str] = field(default_factory=dict)  # contact -> remote
    state: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    log: list[crm_model.CrmSyncEntry] = field(default_factory=list)
    next_id: int = 1


class MemoryCrm(MemoryPart, CrmStore):
    def _crm(self) -> _CrmTables:
        return self._table("_crm_tables", _CrmTables)

    def put_crm_connector(
        self, connector: crm_model.CrmConnector, now: float
    ) -> crm_model.CrmConnector:
        with self._lock:
            tables = self._crm()
            key = (connector.tenant_id, connector.crm)
            old = tables.connectors.get(key)
            stored = replace(
                connector,
                config=as_json(connector.config),
                created_at=now if old is None else old.created_at,
                updated_at=now,
            )
            tables.connectors[key] = stored
            return copy.deepcopy(stored)

    def get_crm_connector(self, tenant_id: str, crm: str) -> crm_model.CrmConnector | None:
        with self._lock:
            return copy.deepcopy(self._crm().connectors.get((tenant_id, crm)))

    def delete_crm_connector(self, tenant_id: str, crm: str) -> bool:
        with self._lock:
            return self._crm().connectors.pop((tenant_id, crm), None) is not None

    def begin_crm_delivery(
        self, item: crm_model.NewCrmDelivery, now: float
    ) -> tuple[crm_model.CrmDelivery, bool]:
        with self._lock:
            tables = self._crm()
            key = (item.tenant_id, item.crm, item.idempotency_key)
            found = tables.by_key.get(key)
            if found is not None:
                return copy.deepcopy(tables.deliveries[found]), False
            delivery = crm_model.CrmDelivery(
                id=tables.next_id,
                tenant_id=item.tenant_id,
                crm=item.crm,
                operation=item.operation,
                idempotency_key=item.idempotency_key,
                contact_id=item.contact_id,
                status="pending",
                request=as_json(item.request),
                created_at=now,
                updated_at=now,
            )
            tables.next_id += 1
            tables.deliveries[delivery.id] = delivery
            tables.by_key[key] = delivery.id
            return copy.deepcopy(delivery), True

    def finish_crm_delivery(
        self, tenant_id: str, delivery_id: int, outcome: crm_model.CrmOutcome, now: float
    ) -> None:
        check_outcome(outcome)
        o = outcome
        with self._lock:
            found = self._crm().deliveries.get(delivery_id)
            if found is None or found.tenant_id != tenant_id:
                return
            found.status, found.attempts, found.http_status = o.status, o.attempts, o.http_status
            found.remote_id, found.error, found.updated_at = o.remote_id, o.error, now
            found.calls = [*found.calls, *as_json(list(o.calls))]

    def list_crm_deliveries(
        self, tenant_id: str, crm: str | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[crm_model.CrmDelivery]:
        with self._lock:
            rows = [
                d
                for d in self._crm().deliveries.values()
                if d.tenant_id == tenant_id
                and (crm is None or d.crm == crm)
                and (before_id is None or d.id < before_id)
            ]
            rows.sort(key=lambda d: -d.id)
            return copy.deepcopy(rows[:limit])

    def link_crm_contact(self, tenant_id: str, crm: str, contact_id: str, remote_id: str) -> None:
        with self._lock:
            links = self._crm().links
            for key, remote in list(links.items()):
                if key[:2] == (tenant_id, crm) and remote == remote_id:
                    del links[key]
            links[(tenant_id, crm, contact_id)] = remote_id

    def crm_remote_id(self, tenant_id: str, crm: str, contact_id: str) -> str | None:
        with self._lock:
            return self._crm().links.get((tenant_id, crm, contact_id))

    def crm_contact_id(self, tenant_id: str, crm: str, remote_id: str) -> str | None:
        with self._lock:
            for (tenant, kind, contact), remote in self._crm().links.items():
                if (tenant, kind, remote) == (tenant_id, crm, remote_id):
                    return contact
            return None

    def crm_sync_state(self, tenant_id: str, crm: str, contact_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._crm().state.get((tenant_id, crm, contact_id), {}))

    def save_crm_sync(self, update: crm_model.CrmSyncUpdate, now: float) -> None:
        ready = as_json(update.state)
        logged = [
            replace(e, local_value=as_json(e.local_value), remote_value=as_json(e.remote_value))
            for e in update.entries
        ]
        key = (update.tenant_id, update.crm, update.contact_id)
        with self._lock:
            tables = self._crm()
            tables.state.setdefault(key, {}).update(ready)
            for entry in logged:
                entry.id = len(tables.log) + 1
                entry.at = now
                tables.log.append(entry)

    def list_crm_sync_log(
        self, tenant_id: str, crm: str, contact_id: str | None = None, limit: int = 100
    ) -> list[crm_model.CrmSyncEntry]:
        with self._lock:
            rows = [
                e
                for e in reversed(self._crm().log)
                if (e.tenant_id, e.crm) == (tenant_id, crm)
                and (contact_id is None or e.contact_id == contact_id)
            ]
            return copy.deepcopy(rows[:limit])


__all__ = ["MemoryCrm"]
