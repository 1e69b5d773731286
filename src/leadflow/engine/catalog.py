"""Compiled workflow versions, cached per process, with an index of event triggers.

Publishing bumps the ``catalog_rev`` meta value; :meth:`Catalog.refresh` re-reads the trigger
index when it changed, so a worker sees a workflow published by another process on its next tick.

Workflow keys are per tenant: every lookup names the tenant (a run's is its contact's, a
schedule's its workflow's), and a key is never looked for in another tenant.
"""

from __future__ import annotations

from leadflow.definitions.models import MESSAGE_KINDS, WaitForEvent
from leadflow.engine.compiled import CompiledWorkflow, compile_workflow
from leadflow.engine.forks import BRANCH_ENDED
from leadflow.errors import NotFound
from leadflow.model.rules import HOLD_EVENT_TYPES
from leadflow.store.contract import Store

CATALOG_REV = "catalog_rev"
_VERDICT_SUFFIXES = frozenset({"sent", "delivered", "failed", "suppressed"})
_ALWAYS = frozenset(HOLD_EVENT_TYPES)  # replies and consent events


class Catalog:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._versions: dict[tuple[str, str, int], CompiledWorkflow] = {}
        self._latest: dict[tuple[str, str], CompiledWorkflow] = {}
        self._by_event: dict[str, list[CompiledWorkflow]] = {}
        self._interesting: set[str] = set()
        self._verdicts_awaited = False
        self._rev: str | None = "unloaded"

    def get(self, tenant_id: str, key: str, version: int) -> CompiledWorkflow:
        """Version ``version`` of the tenant's workflow ``key``; NotFound when the tenant has
        none (another tenant's workflow of that key is never an answer)."""
        found = self._versions.get((tenant_id, key, version))
        if found is None:
            record = self._store.get_workflow(tenant_id, key, version)
            if record is None:
                raise NotFound(f"workflow {key!r} version {version} not found in this tenant")
            found = compile_workflow(record)
            self._versions[(tenant_id, key, version)] = found
        return found

    def latest(self, tenant_id: str, key: str) -> CompiledWorkflow:
        """The latest version of the tenant's workflow ``key``; NotFound when it has none."""
        self.refresh()
        found = self._latest.get((tenant_id, key))
        if found is None:
            record = self._store.get_workflow(tenant_id, key)
            if record is None:
                raise NotFound(f"workflow {key!r} not found in this tenant")
            found = self.get(tenant_id, key, record.version)
            self._latest[(tenant_id, key)] = found
        return found

    def triggered_by(self, event_type: str, tenant_id: str | None = None) -> list[CompiledWorkflow]:
        """Latest versions with an event trigger for ``event_type`` (of ``tenant_id``'s
        workflows when given: a lead is only ever enrolled by its own tenant's workflows), as
        of the last refresh."""
        if self._rev == "unloaded":
            self.refresh()
        found = self._by_event.get(event_type, [])
        return found if tenant_id is None else [wf for wf in found if wf.tenant_id == tenant_id]

    def refresh(self, force: bool = False) -> None:
        rev = self._store.get_meta(CATALOG_REV)
        if not force and rev == self._rev:
            return
        self._rev = rev
        self._latest.clear()
        self._by_event = {}
        self._interesting = set()
        self._verdicts_awaited = False
        for record in self._store.list_workflows():
            tenant = record.tenant_id
            wf = self.get(tenant, record.key, record.version)
            self._latest[(tenant, record.key)] = wf
            for trigger in wf.definition.triggers:
                if trigger.type == "event" and trigger.event:
                    self._by_event.setdefault(trigger.event, []).append(wf)
                    self._interesting.add(trigger.event)
            for version in range(1, record.version + 1):  # runs may be on any version
                self._note_interests(self.get(tenant, record.key, version))

    def _note_interests(self, wf: CompiledWorkflow) -> None:
        for goal in wf.goals:
            if goal.event:
                self._interesting.add(goal.event)
        for node in wf.nodes.values():
            if isinstance(node, WaitForEvent):
                self._interesting.add(node.event)
            if node.kind in MESSAGE_KINDS and node.on_error:
                self._verdicts_awaited = True
            if node.kind == "parallel":  # its parent waits for its branches' ends
                self._interesting.add(BRANCH_ENDED)

    def concerns_runs(self, event_type: str) -> bool:
        """Whether an event of this type can trigger, resume, exit or route any run of any
        published version (as of the last refresh). Replies always can (stop on reply), and
        consent events always need processing (they change the contact's consent)."""
        if self._rev == "unloaded":
            self.refresh()
        suffix = event_type.rsplit(".", 1)[-1]
        return (
            event_type in _ALWAYS
            or event_type in self._interesting
            or suffix == "failed"  # a failed send fails or routes its run
            or (self._verdicts_awaited and suffix in _VERDICT_SUFFIXES)
        )

    def bump(self) -> None:
        """Tell every process that the set of published workflows changed."""
        current = self._store.get_meta(CATALOG_REV)
        self._store.set_meta(CATALOG_REV, str(int(current or 0) + 1))
        self.refresh(force=True)
