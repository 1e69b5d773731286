"""Workflow priority when a contact's message budget is short: who waits.

The per-contact budget (``Settings.budget_per_day``, all workflows and channels) is checked by
the dispatch policy. When it is short, the workflow's ``settings.priority`` decides who gets it:

* within a dispatch batch, a contact's messages are looked at highest priority first, so the
  remaining budget goes to them; a message left without budget after a higher-priority one took
  it is deferred with the reason ``budget_priority`` (not ``budget``);
* a lower-priority message is also deferred (``budget_priority``) while the contact has
  higher-priority messages queued and due within :data:`HORIZON_S` that the remaining budget is
  needed for (they are not in this batch yet).

Only messages of runs count (compliance answers belong to no run and take no budget). Looking
ahead costs a query per contact, so it is done only for a message whose priority is below the
highest of any published workflow: with equal priorities (the default) nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadflow.engine.catalog import CATALOG_REV, Catalog
from leadflow.errors import NotFound
from leadflow.model.records import (
    Message,
    MessageFilter,
    MessageStatus,
)
from leadflow.store.contract import Store

HORIZON_S = 3600.0  # higher-priority messages due within this time keep the budget for them
RETRY_S = 3600.0  # a message that waits for priority is looked at again after this
REASON = "budget_priority"


@dataclass(slots=True)
class Priorities:
    """Workflow priorities (cached until a workflow is published) and, per dispatch batch, the
    contacts' queued messages and what was already granted."""

    store: Store
    catalog: Catalog
    _rev: str | None = "unloaded"
    _top: int = 0
    _latest: dict[tuple[str, str], int] = field(default_factory=dict)  # (tenant, key)
    _queued: dict[str, list[Message]] = field(default_factory=dict)
    _granted: dict[str, list[int]] = field(default_factory=dict)

    def start_batch(self) -> None:
        self._queued.clear()
        self._granted.clear()
        rev = self.store.get_meta(CATALOG_REV)
        if rev != self._rev:
            self._rev = rev
            self._latest = {
                (w.tenant_id, w.key): self.of(w.tenant_id, w.key, w.version)
                for w in self.store.list_workflows()
            }
            self._top = max(self._latest.values(), default=0)

    def of(self, tenant_id: str, workflow_key: str | None, version: int | None = None) -> int:
        """The priority of the tenant's workflow (its latest version when none is given); 0 if
        unknown."""
        if workflow_key is None:
            return 0
        if version is None:
            return self._latest.get((tenant_id, workflow_key), 0)
        try:
            return self.catalog.get(tenant_id, workflow_key, version).definition.settings.priority
        except NotFound:
            return 0

    def granted(self, contact_id: str, priority: int) -> None:
        """A message of ``priority`` takes one of the contact's budget in this batch."""
        self._granted.setdefault(contact_id, []).append(priority)

    def outranked(self, contact_id: str, priority: int) -> bool:
        """Whether a message of higher priority took the contact's budget in this batch."""
        return any(p > priority for p in self._granted.get(contact_id, ()))

    def needed_ahead(self, tenant_id: str, msg: Message, priority: int, now: float) -> int:
        """How many of the contact's queued messages (not in this batch) outrank ``msg`` and
        are due within :data:`HORIZON_S` (``tenant_id``: the contact's)."""
        if priority >= self._top or msg.contact_id is None:
            return 0
        queued = self._queued.get(msg.contact_id)
        if queued is None:
            queued = [
                m
                for status in (MessageStatus.PENDING, MessageStatus.DEFERRED)
                for m in self.store.list_messages(
                    MessageFilter(contact_id=msg.contact_id, status=status)
                )
                if m.run_id is not None and m.due_at <= now + HORIZON_S
            ]
            self._queued[msg.contact_id] = queued
        return sum(1 for m in queued if self.of(tenant_id, m.workflow_key) > priority)
