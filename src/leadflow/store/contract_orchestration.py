"""AI task orchestration: batches of AI tasks and their tasks, claimed by workers with leases
(like runs and messages), their outcomes stored fenced by the lease."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from leadflow.model.orchestration import ClaimLimits, OrchBatch, OrchTask, TaskOutcome


class OrchestrationStore(abc.ABC):
    """The orchestration methods of the store contract."""

    @abc.abstractmethod
    def create_orch_batch(self, batch: OrchBatch, tasks: Sequence[OrchTask]) -> None:
        """Keep the batch and all its tasks in one transaction (all or nothing). StoreError when
        the tenant does not exist or the batch id is taken."""

    @abc.abstractmethod
    def get_orch_batch(self, tenant_id: str, batch_id: str) -> OrchBatch | None:
        """The tenant's batch with its ``counts`` (task status -> tasks), or None (also for
        another tenant's batch)."""

    @abc.abstractmethod
    def list_orch_batches(self, tenant_id: str, limit: int = 50) -> list[OrchBatch]:
        """The tenant's batches, newest first, with their counts."""

    @abc.abstractmethod
    def orch_tasks(
        self, tenant_id: str, batch_id: str, task_ids: Sequence[str] | None = None
    ) -> list[OrchTask]:
        """The batch's tasks (only those of ``task_ids`` when given) in submission order ([]
        for another tenant's batch)."""

    @abc.abstractmethod
    def cancel_orch_batch(self, tenant_id: str, batch_id: str, now: float) -> int | None:
        """Cancel the batch: its pending tasks become cancelled (running ones finish); how many
        were cancelled, or None when the tenant has no such batch. Cancelling twice is allowed
        (the first moment is kept)."""

    @abc.abstractmethod
    def claim_orch_tasks(
        self, owner: str, now: float, lease_s: float, limit: int, limits: ClaimLimits
    ) -> list[OrchTask]:
        """Lease up to ``limit`` runnable tasks to ``owner`` until ``now + lease_s``: ready
        pending tasks and running tasks whose lease expired, by priority (highest first), then
        oldest batch, then submission order; never more than ``limits.per_tenant`` tasks of a
        tenant nor ``limits.per_server`` tasks of one model server (not counting ``local``)
        running at once, across all workers. Each claim counts an attempt. An expired task that
        has already used ``limits.max_attempts`` attempts is failed (quarantined) instead, its
        dependents skipped."""

    @abc.abstractmethod
    def finish_orch_task(
        self, owner: str, batch_id: str, task_id: str, outcome: TaskOutcome, now: float
    ) -> bool:
        """Store the outcome of a task ``owner`` holds and release it; dependents become ready
        (done) or are skipped with the reason (failed). False, and nothing written, when the
        task is not running under ``owner`` any more (its lease was taken over)."""

    @abc.abstractmethod
    def orch_lease_owners(self) -> list[str]:
        """The owners holding running tasks (to find dead workers)."""

    @abc.abstractmethod
    def release_orch_leases(self, owners: Sequence[str]) -> int:
        """The running tasks of ``owners`` become pending again (ready); how many."""


__all__ = ["OrchestrationStore"]
