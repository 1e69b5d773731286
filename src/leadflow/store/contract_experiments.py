"""Experiments (split tests): their state, arm assignments and decisions, and the events of a
contact they read."""

from __future__ import annotations

import abc
from collections.abc import Iterable

from leadflow.model.experiments import Assignment, Experiment, ExperimentDecision
from leadflow.model.records import Event


class ExperimentStore(abc.ABC):
    """The experiments methods of the store contract."""

    @abc.abstractmethod
    def save_experiment(self, experiment: Experiment, expected_revision: int | None) -> bool:
        """Create (``expected_revision`` None: only when (tenant, key) is absent) or replace
        (only when the stored revision equals ``expected_revision``) an experiment. The stored
        revision becomes ``expected_revision + 1`` (0 on create) whatever ``experiment.revision``
        says. True when written, False when the condition did not hold (nothing written).
        StoreError when the tenant does not exist."""

    @abc.abstractmethod
    def get_experiment(self, tenant_id: str, key: str) -> Experiment | None: ...

    @abc.abstractmethod
    def list_experiments(self, tenant_id: str | None = None) -> list[Experiment]:
        """Experiments by (tenant, key); every tenant's when ``tenant_id`` is None."""

    @abc.abstractmethod
    def due_experiments(self, now: float) -> list[Experiment]:
        """Running experiments whose ``next_review_at`` is at or before ``now`` (every tenant),
        by next_review_at then (tenant, key)."""

    @abc.abstractmethod
    def assign_arm(self, assignment: Assignment) -> Assignment:
        """Store the contact's arm unless it has one in this experiment; return the stored one
        (an earlier assignment always wins, so re-entry and a re-executed step keep the arm)."""

    @abc.abstractmethod
    def get_assignment(self, tenant_id: str, key: str, contact_id: str) -> Assignment | None: ...

    @abc.abstractmethod
    def experiment_assignments(self, tenant_id: str, key: str) -> list[Assignment]:
        """Every assignment of the experiment, by assigned_at then contact id."""

    @abc.abstractmethod
    def record_decision(
        self, decision: ExperimentDecision, experiment: Experiment, expected_revision: int
    ) -> ExperimentDecision | None:
        """In one transaction: replace the experiment (as :meth:`save_experiment` with
        ``expected_revision``) and store the decision. The stored decision (with its id), or None
        when the revision moved on (another reviewer decided first; nothing written)."""

    @abc.abstractmethod
    def experiment_decisions(self, tenant_id: str, key: str) -> list[ExperimentDecision]:
        """The experiment's decisions, oldest first (by id)."""

    @abc.abstractmethod
    def contact_events(
        self, contact_ids: Iterable[str], types: Iterable[str], since: float = 0.0
    ) -> list[Event]:
        """Events of these types of these contacts that occurred at or after ``since``, by
        contact id then occurred_at then id (processed or not)."""


__all__ = ["ExperimentStore"]
