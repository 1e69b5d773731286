"""Workflow drafts in the memory backend (the same rules as the SQL backends)."""

from __future__ import annotations

from leadflow.model.jsonvalue import dumps, loads_dict
from leadflow.model.records import Draft
from leadflow.store.contract_drafts import DraftStore
from leadflow.store.parts import MemoryPart


class MemoryDrafts(MemoryPart, DraftStore):
    def _drafts(self) -> dict[tuple[str, str], tuple[str, float, str | None]]:
        return self._table("_drafts_data", dict)

    def save_draft(self, draft: Draft) -> Draft:
        text = dumps(draft.definition)  # stored as text, as the SQL backends do
        with self._lock:
            self._drafts()[(draft.tenant_id, draft.key)] = (
                text,
                draft.updated_at,
                draft.updated_by,
            )
        return Draft(
            draft.tenant_id, draft.key, loads_dict(text), draft.updated_at, draft.updated_by
        )

    def get_draft(self, tenant_id: str, key: str) -> Draft | None:
        with self._lock:
            found = self._drafts().get((tenant_id, key))
        if found is None:
            return None
        text, updated_at, updated_by = found
        return Draft(tenant_id, key, loads_dict(text), updated_at, updated_by)

    def list_drafts(self, tenant_id: str) -> list[Draft]:
        with self._lock:
            rows = sorted(
                (key, row) for (tenant, key), row in self._drafts().items() if tenant == tenant_id
            )
        return [Draft(tenant_id, key, loads_dict(t), at, by) for key, (t, at, by) in rows]

    def delete_draft(self, tenant_id: str, key: str) -> bool:
        with self._lock:
            return self._drafts().pop((tenant_id, key), None) is not None
