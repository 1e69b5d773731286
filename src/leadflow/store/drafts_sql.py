"""Workflow drafts on SQLite and PostgreSQL (the same SQL, ``?`` placeholders turned into each
database's style by its :class:`~leadflow.store.sql_common.Dialect`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.model.jsonvalue import dumps, loads_dict
from leadflow.model.records import Draft
from leadflow.store.contract_drafts import DraftStore
from leadflow.store.parts import SqlPart

_COLS = "tenant_id, key, definition, updated_at, updated_by, layout"


def _draft(r: Sequence[Any]) -> Draft:
    layout = None if r[5] is None else loads_dict(r[5])
    return Draft(r[0], r[1], loads_dict(r[2]), float(r[3]), r[4], layout)


class SqlDrafts(SqlPart, DraftStore):
    """The draft methods of the Store contract for the two SQL backends."""

    def save_draft(self, draft: Draft) -> Draft:
        text = dumps(draft.definition)
        layout = None if draft.layout is None else dumps(draft.layout)
        self._change(
            f"INSERT INTO workflow_drafts ({_COLS}) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, key) DO UPDATE SET definition = excluded.definition, "
            "updated_at = excluded.updated_at, updated_by = excluded.updated_by, "
            "layout = COALESCE(excluded.layout, workflow_drafts.layout)",
            (draft.tenant_id, draft.key, text, draft.updated_at, draft.updated_by, layout),
        )
        found = self.get_draft(draft.tenant_id, draft.key)
        assert found is not None
        return found

    def set_draft_layout(
        self, tenant_id: str, key: str, layout: dict[str, dict[str, float]]
    ) -> Draft | None:
        changed = self._change(
            "UPDATE workflow_drafts SET layout = ? WHERE tenant_id = ? AND key = ?",
            (dumps(layout), tenant_id, key),
        )
        return self.get_draft(tenant_id, key) if changed else None

    def get_draft(self, tenant_id: str, key: str) -> Draft | None:
        return self._fetch_one_as(
            _draft,
            f"SELECT {_COLS} FROM workflow_drafts WHERE tenant_id = ? AND key = ?",
            (tenant_id, key),
        )

    def list_drafts(self, tenant_id: str) -> list[Draft]:
        return self._fetch_as(
            _draft,
            f"SELECT {_COLS} FROM workflow_drafts WHERE tenant_id = ? ORDER BY key",
            (tenant_id,),
        )

    def delete_draft(self, tenant_id: str, key: str) -> bool:
        return bool(
            self._change(
                "DELETE FROM workflow_drafts WHERE tenant_id = ? AND key = ?",
                (tenant_id, key),
            )
        )

    def set_workflow_layout(
        self, tenant_id: str, key: str, layout: dict[str, dict[str, float]], at: float
    ) -> None:
        self._change(
            "INSERT INTO workflow_layouts (tenant_id, key, layout, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, key) DO UPDATE SET "
            "layout = excluded.layout, updated_at = excluded.updated_at",
            (tenant_id, key, dumps(layout), at),
        )

    def get_workflow_layout(self, tenant_id: str, key: str) -> dict[str, dict[str, float]] | None:
        row = self._fetch_one(
            "SELECT layout FROM workflow_layouts WHERE tenant_id = ? AND key = ?",
            (tenant_id, key),
        )
        return None if row is None else loads_dict(row[0])
