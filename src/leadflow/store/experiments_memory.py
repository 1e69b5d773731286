"""Experiments in the memory backend (tenant foreign key enforced like SQL)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable

from leadflow.model.experiments import (
    RUNNING,
    Assignment,
    Experiment,
    ExperimentDecision,
)
from leadflow.model.records import Event
from leadflow.store.contract_experiments import ExperimentStore
from leadflow.store.memory_state import MemoryState, copy_event
from leadflow.store.parts import MemoryPart


class _Data:
    def __init__(self) -> None:
        self.experiments: dict[tuple[str, str], Experiment] = {}
        self.assignments: dict[tuple[str, str], dict[str, Assignment]] = {}
        self.decisions: list[ExperimentDecision] = []


class MemoryExperiments(MemoryState, MemoryPart, ExperimentStore):
    """Experiments, arms and decisions; :meth:`contact_events` reads the core's events."""

    def _experiments(self) -> _Data:
        return self._table("_experiments_data", _Data)

    def _put_experiment(self, experiment: Experiment, expected_revision: int | None) -> bool:
        self._need_tenant(experiment.tenant_id, "experiments.tenant_id")
        data = self._experiments()
        ident = (experiment.tenant_id, experiment.key)
        current = data.experiments.get(ident)
        if expected_revision is None:
            if current is not None:
                return False
            revision = 0
        else:
            if current is None or current.revision != expected_revision:
                return False
            revision = expected_revision + 1
        data.experiments[ident] = dataclasses.replace(copy.deepcopy(experiment), revision=revision)
        return True

    def save_experiment(self, experiment: Experiment, expected_revision: int | None) -> bool:
        with self._lock:
            return self._put_experiment(experiment, expected_revision)

    def get_experiment(self, tenant_id: str, key: str) -> Experiment | None:
        with self._lock:
            return copy.deepcopy(self._experiments().experiments.get((tenant_id, key)))

    def list_experiments(self, tenant_id: str | None = None) -> list[Experiment]:
        with self._lock:
            found = self._experiments().experiments
            return [
                copy.deepcopy(found[ident])
                for ident in sorted(found)
                if tenant_id is None or ident[0] == tenant_id
            ]

    def due_experiments(self, now: float) -> list[Experiment]:
        with self._lock:
            due = [
                e
                for e in self._experiments().experiments.values()
                if e.status == RUNNING and e.next_review_at is not None and e.next_review_at <= now
            ]
            due.sort(key=lambda e: (e.next_review_at or 0.0, e.tenant_id, e.key))
            return copy.deepcopy(due)

    def assign_arm(self, assignment: Assignment) -> Assignment:
        with self._lock:
            self._need_tenant(assignment.tenant_id, "experiment_assignments.tenant_id")
            arms = self._experiments().assignments.setdefault(
                (assignment.tenant_id, assignment.experiment_key), {}
            )
            return arms.setdefault(assignment.contact_id, assignment)

    def get_assignment(self, tenant_id: str, key: str, contact_id: str) -> Assignment | None:
        with self._lock:
            return self._experiments().assignments.get((tenant_id, key), {}).get(contact_id)

    def experiment_assignments(self, tenant_id: str, key: str) -> list[Assignment]:
        with self._lock:
            found = list(self._experiments().assignments.get((tenant_id, key), {}).values())
        found.sort(key=lambda a: (a.assigned_at, a.contact_id))
        return found

    def record_decision(
        self, decision: ExperimentDecision, experiment: Experiment, expected_revision: int
    ) -> ExperimentDecision | None:
        with self._lock:
            if not self._put_experiment(experiment, expected_revision):
                return None
            data = self._experiments()
            stored = dataclasses.replace(copy.deepcopy(decision), id=len(data.decisions) + 1)
            data.decisions.append(stored)
            return copy.deepcopy(stored)

    def experiment_decisions(self, tenant_id: str, key: str) -> list[ExperimentDecision]:
        with self._lock:
            return [
                copy.deepcopy(d)
                for d in self._experiments().decisions
                if d.tenant_id == tenant_id and d.experiment_key == key
            ]

    def contact_events(
        self, contact_ids: Iterable[str], types: Iterable[str], since: float = 0.0
    ) -> list[Event]:
        wanted, kinds = set(contact_ids), set(types)
        with self._lock:
            found = [
                e
                for e in (held.record for held in self._events.values())
                if e.contact_id in wanted and e.type in kinds and e.occurred_at >= since
            ]
            found.sort(key=lambda e: (e.contact_id or "", e.occurred_at, e.id))
            return [copy_event(e) for e in found]


__all__ = ["MemoryExperiments"]
