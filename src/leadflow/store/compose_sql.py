"""Compose drafts on SQLite and PostgreSQL (one text; ``ON CONFLICT DO NOTHING`` keeps the
first draft of a step)."""

from __future__ import annotations

import json

from leadflow.model.compose import ComposeDraft
from leadflow.store.codec import row_reader, row_writer
from leadflow.store.contract_compose import ComposeStore
from leadflow.store.parts import SqlPart

_COLS = (
    "tenant_id, step_key, contact_id, node, channel, body, source, created_at, subject, "
    "reasons, draft"
)
_INSERT = (
    f"INSERT INTO compose_drafts ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant_id, step_key) DO NOTHING"
)
_ONE = f"SELECT {_COLS} FROM compose_drafts WHERE tenant_id = ? AND step_key = ?"
_OF_CONTACT = (
    f"SELECT {_COLS} FROM compose_drafts WHERE tenant_id = ? AND contact_id = ? "
    "ORDER BY created_at, step_key"
)


def _reasons(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text or "[]"))


def _reasons_json(reasons: tuple[str, ...]) -> str:
    return json.dumps(list(reasons))


_draft = row_reader(ComposeDraft, _COLS, {"created_at": float, "reasons": _reasons})
_values = row_writer(ComposeDraft, _COLS, {"reasons": _reasons_json})


class SqlComposeDrafts(SqlPart, ComposeStore):
    def keep_compose_draft(self, draft: ComposeDraft) -> ComposeDraft:
        with self._write() as conn:
            conn.execute(self._dialect.sql(_INSERT), _values(draft))
            found = conn.execute(
                self._dialect.sql(_ONE), (draft.tenant_id, draft.step_key)
            ).fetchone()
        return _draft(found)

    def get_compose_draft(self, tenant_id: str, step_key: str) -> ComposeDraft | None:
        return self._fetch_one_as(_draft, _ONE, (tenant_id, step_key))

    def compose_drafts(self, tenant_id: str, contact_id: str) -> list[ComposeDraft]:
        return self._fetch_as(_draft, _OF_CONTACT, (tenant_id, contact_id))
