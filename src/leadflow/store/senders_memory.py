"""Tenant senders in the memory backend (the same rules as the SQL backends)."""

from __future__ import annotations

from dataclasses import replace

from leadflow.model.senders import Sender
from leadflow.store.contract_senders import SenderStore
from leadflow.store.parts import MemoryPart


class MemorySenders(MemoryPart, SenderStore):
    def _senders(self) -> dict[tuple[str, str], Sender]:
        return self._table("_senders_data", dict)

    def add_sender(self, sender: Sender, now: float) -> str:
        with self._lock:
            senders = self._senders()
            key = (sender.kind, sender.address)
            found = senders.get(key)
            if found is None:
                senders[key] = replace(sender, created_at=now)
                return sender.tenant_id
            if found.tenant_id == sender.tenant_id:
                senders[key] = replace(found, label=sender.label)
            return found.tenant_id

    def remove_sender(self, tenant_id: str, kind: str, address: str) -> bool:
        with self._lock:
            senders = self._senders()
            found = senders.get((kind, address))
            if found is None or found.tenant_id != tenant_id:
                return False
            del senders[(kind, address)]
            return True

    def list_senders(self, tenant_id: str) -> list[Sender]:
        with self._lock:
            mine = [s for s in self._senders().values() if s.tenant_id == tenant_id]
        return sorted(mine, key=lambda s: (s.kind, s.created_at, s.address))

    def sender_owner(self, kind: str, address: str) -> str | None:
        with self._lock:
            found = self._senders().get((kind, address))
        return None if found is None else found.tenant_id
