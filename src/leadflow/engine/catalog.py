"""Compiled workflow versions, cached per process, with an index of event triggers.

Publishing bumps the ``catalog_rev`` meta value; :meth:`Catalog.refresh` re-reads the trigger
index when it changed, so a worker sees a workflow published by another process on its next tick.
"""

from __future__ import annotations

from leadflow.engine.compiled import CompiledWorkflow, compile_workflow
from leadflow.errors import NotFound
from leadflow.store.contract import Store

CATALOG_REV = "catalog_rev"


class Catalog:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._versions: dict[tuple[str, int], CompiledWorkflow] = {}
        self._latest: dict[str, CompiledWorkflow] = {}
        self._by_event: dict[str, list[CompiledWorkflow]] = {}
        self._rev: str | None = "unloaded"

    def get(self, key: str, version: int) -> CompiledWorkflow:
        found = self._versions.get((key, version))
        if found is None:
            record = self._store.get_workflow(key, version)
            if record is None:
                raise NotFound(f"workflow {key!r} version {version} not found")
            found = compile_workflow(record)
            self._versions[(key, version)] = found
        return found

    def latest(self, key: str) -> CompiledWorkflow:
        self.refresh()
        found = self._latest.get(key)
        if found is None:
            record = self._store.get_workflow(key)
            if record is None:
                raise NotFound(f"workflow {key!r} not found")
            found = self.get(key, record.version)
            self._latest[key] = found
        return found

    def triggered_by(self, event_type: str) -> list[CompiledWorkflow]:
        self.refresh()
        return self._by_event.get(event_type, [])

    def refresh(self, force: bool = False) -> None:
        rev = self._store.get_meta(CATALOG_REV)
        if not force and rev == self._rev:
            return
        self._rev = rev
        self._latest.clear()
        self._by_event = {}
        for record in self._store.list_workflows():
            wf = self.get(record.key, record.version)
            self._latest[record.key] = wf
            for trigger in wf.definition.triggers:
                if trigger.type == "event" and trigger.event:
                    self._by_event.setdefault(trigger.event, []).append(wf)

    def bump(self) -> None:
        """Tell every process that the set of published workflows changed."""
        current = self._store.get_meta(CATALOG_REV)
        self._store.set_meta(CATALOG_REV, str(int(current or 0) + 1))
        self.refresh(force=True)
