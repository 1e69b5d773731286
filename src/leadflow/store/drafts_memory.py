"""Workflow drafts in the memory backend (the same rules as the SQL backends)."""

from __future__ import annotations

from leadflow.model.records import Draft
from leadflow.store.contract_drafts import DraftStore
from leadflow.store.memory_state import as_json, copier
from leadflow.store.parts import MemoryPart

_copy = copier(Draft, ("definition", "layout"))


class MemoryDrafts(MemoryPart, DraftStore):
    def _drafts(self) -> dict[tuple[str, str], Draft]:
        return self._table("_drafts_data", dict)

    def save_draft(self, draft: Draft) -> Draft:
        stored = Draft(  # the definition through JSON text, as the SQL backends store it
            draft.tenant_id,
            draft.key,
            as_json(draft.definition),
            draft.updated_at,
            draft.updated_by,
            None if draft.layout is None else as_json(draft.layout),
        )
        with self._lock:
            before = self._drafts().get((draft.tenant_id, draft.key))
            if stored.layout is None and before is not None:
                stored.layout = before.layout
            self._drafts()[(draft.tenant_id, draft.key)] = stored
        return _copy(stored)

    def set_draft_layout(
        self, tenant_id: str, key: str, layout: dict[str, dict[str, float]]
    ) -> Draft | None:
        kept = as_json(layout)
        with self._lock:
            found = self._drafts().get((tenant_id, key))
            if found is None:
                return None
            found.layout = kept
            return _copy(found)

    def get_draft(self, tenant_id: str, key: str) -> Draft | None:
        return self._copy_of(self._drafts(), (tenant_id, key), _copy)

    def list_drafts(self, tenant_id: str) -> list[Draft]:
        with self._lock:
            mine = sorted((d.key, d) for d in self._drafts().values() if d.tenant_id == tenant_id)
            return [_copy(d) for _, d in mine]

    def delete_draft(self, tenant_id: str, key: str) -> bool:
        with self._lock:
            return self._drafts().pop((tenant_id, key), None) is not None

    def _layouts(self) -> dict[tuple[str, str], dict[str, dict[str, float]]]:
        return self._table("_workflow_layouts_data", dict)

    def set_workflow_layout(
        self, tenant_id: str, key: str, layout: dict[str, dict[str, float]], at: float
    ) -> None:
        kept = as_json(layout)
        with self._lock:
            self._layouts()[(tenant_id, key)] = kept

    def get_workflow_layout(self, tenant_id: str, key: str) -> dict[str, dict[str, float]] | None:
        return self._copy_of(self._layouts(), (tenant_id, key), as_json)
