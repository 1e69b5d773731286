"""Compose drafts in the memory backend (the same rules as the SQL backends)."""

from __future__ import annotations

from leadflow.model.compose import ComposeDraft
from leadflow.store.contract_compose import ComposeStore
from leadflow.store.parts import MemoryPart


class MemoryComposeDrafts(MemoryPart, ComposeStore):
    def _compose(self) -> dict[tuple[str, str], ComposeDraft]:
        return self._table("_compose_drafts", dict)

    def keep_compose_draft(self, draft: ComposeDraft) -> ComposeDraft:
        with self._lock:
            return self._compose().setdefault((draft.tenant_id, draft.step_key), draft)

    def get_compose_draft(self, tenant_id: str, step_key: str) -> ComposeDraft | None:
        with self._lock:
            return self._compose().get((tenant_id, step_key))

    def compose_drafts(self, tenant_id: str, contact_id: str) -> list[ComposeDraft]:
        with self._lock:
            found = [
                d
                for (tenant, _), d in self._compose().items()
                if tenant == tenant_id and d.contact_id == contact_id
            ]
        return sorted(found, key=lambda d: (d.created_at, d.step_key))
