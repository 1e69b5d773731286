"""The texts ``ai_compose`` steps chose, kept before they are queued (one per step)."""

from __future__ import annotations

import abc

from leadflow.model.compose import ComposeDraft


class ComposeStore(abc.ABC):
    """The compose-draft methods of the store contract."""

    @abc.abstractmethod
    def keep_compose_draft(self, draft: ComposeDraft) -> ComposeDraft:
        """Store ``draft`` unless the step already has one; the step's draft either way (the
        first one kept wins, so a step executed twice sends one text)."""

    @abc.abstractmethod
    def get_compose_draft(self, tenant_id: str, step_key: str) -> ComposeDraft | None: ...

    @abc.abstractmethod
    def compose_drafts(self, tenant_id: str, contact_id: str) -> list[ComposeDraft]:
        """The contact's drafts, oldest first."""


__all__ = ["ComposeStore"]
