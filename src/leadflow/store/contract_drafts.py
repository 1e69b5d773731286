"""Workflow drafts: edited definitions not yet published."""

from __future__ import annotations

import abc

from leadflow.model.records import Draft


class DraftStore(abc.ABC):
    """The workflow drafts methods of the store contract."""

    @abc.abstractmethod
    def save_draft(self, draft: Draft) -> Draft:
        """Create or replace the draft of ``(draft.tenant_id, draft.key)``; returns it as
        stored. A draft is not validated: any JSON object is kept. A draft saved without a
        ``layout`` (None) keeps the layout stored before."""

    @abc.abstractmethod
    def set_draft_layout(
        self, tenant_id: str, key: str, layout: dict[str, dict[str, float]]
    ) -> Draft | None:
        """Replace the layout of the draft ``(tenant_id, key)``; the draft as stored, or None
        when there is no such draft (nothing is written then)."""

    @abc.abstractmethod
    def get_draft(self, tenant_id: str, key: str) -> Draft | None: ...

    @abc.abstractmethod
    def list_drafts(self, tenant_id: str) -> list[Draft]:
        """The drafts of one tenant, by key."""

    @abc.abstractmethod
    def delete_draft(self, tenant_id: str, key: str) -> bool:
        """True when a draft was deleted, False when there was none."""

    @abc.abstractmethod
    def set_workflow_layout(
        self, tenant_id: str, key: str, layout: dict[str, dict[str, float]], at: float
    ) -> None:
        """Keep the layout of the workflow ``(tenant_id, key)`` (replacing the one kept
        before): where its published versions' nodes are placed. It outlives the draft."""

    @abc.abstractmethod
    def get_workflow_layout(self, tenant_id: str, key: str) -> dict[str, dict[str, float]] | None:
        """The layout kept for the workflow ``(tenant_id, key)``, or None."""


__all__ = ["DraftStore"]
