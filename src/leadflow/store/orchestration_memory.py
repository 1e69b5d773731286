"""AI task orchestration in the memory backend (records copied in and out, JSON values passed
through JSON text like the SQL backends)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from leadflow.errors import StoreError
from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.orchestration import (
    ClaimLimits,
    OrchBatch,
    OrchTask,
    TaskOutcome,
    TaskStatus,
    consequences,
)
from leadflow.store.contract_orchestration import OrchestrationStore
from leadflow.store.orchestration_claims import pick, quarantine_reason
from leadflow.store.parts import MemoryPart


@dataclass(slots=True)
class _Tables:
    batches: dict[str, OrchBatch] = field(default_factory=dict)
    tasks: dict[str, list[OrchTask]] = field(default_factory=dict)  # batch id -> by seq


def _copy(task: OrchTask) -> OrchTask:
    return replace(
        task,
        input=loads(dumps(task.input)),
        depends_on=list(task.depends_on),
        result=None if task.result is None else loads(dumps(task.result)),
    )


class MemoryOrchestration(MemoryPart, OrchestrationStore):
    def _orch(self) -> _Tables:
        return self._table("_orchestration_tables", _Tables)

    def _counted(self, batch: OrchBatch) -> OrchBatch:
        counts: dict[str, int] = {}
        for t in self._orch().tasks[batch.id]:
            counts[t.status] = counts.get(t.status, 0) + 1
        return replace(batch, counts=counts)

    def create_orch_batch(self, batch: OrchBatch, tasks: Sequence[OrchTask]) -> None:
        with self._lock:
            self._need_tenant(batch.tenant_id, "orch_batches.tenant_id")
            tables = self._orch()
            if batch.id in tables.batches:
                raise StoreError(f"UNIQUE constraint failed: orch_batches.id ({batch.id!r})")
            if len({t.task_id for t in tasks}) != len(tasks):
                raise StoreError(
                    "UNIQUE constraint failed: orch_tasks.batch_id, orch_tasks.task_id"
                )
            tables.batches[batch.id] = replace(batch, counts={})
            tables.tasks[batch.id] = [_copy(t) for t in tasks]

    def get_orch_batch(self, tenant_id: str, batch_id: str) -> OrchBatch | None:
        with self._lock:
            found = self._orch().batches.get(batch_id)
            if found is None or found.tenant_id != tenant_id:
                return None
            return self._counted(found)

    def list_orch_batches(self, tenant_id: str, limit: int = 50) -> list[OrchBatch]:
        with self._lock:
            mine = [b for b in self._orch().batches.values() if b.tenant_id == tenant_id]
            mine.sort(key=lambda b: (b.created_at, b.id), reverse=True)
            return [self._counted(b) for b in mine[: max(0, limit)]]

    def orch_tasks(
        self, tenant_id: str, batch_id: str, task_ids: Sequence[str] | None = None
    ) -> list[OrchTask]:
        wanted = None if task_ids is None else set(task_ids)
        with self._lock:
            found = self._orch().batches.get(batch_id)
            if found is None or found.tenant_id != tenant_id:
                return []
            return [
                _copy(t)
                for t in self._orch().tasks[batch_id]
                if wanted is None or t.task_id in wanted
            ]

    def cancel_orch_batch(self, tenant_id: str, batch_id: str, now: float) -> int | None:
        with self._lock:
            found = self._orch().batches.get(batch_id)
            if found is None or found.tenant_id != tenant_id:
                return None
            if found.cancelled_at is None:
                found.cancelled_at = now
            n = 0
            for t in self._orch().tasks[batch_id]:
                if t.status == TaskStatus.PENDING:
                    t.status, t.error, t.finished_at = TaskStatus.CANCELLED, "batch cancelled", now
                    n += 1
            return n

    def _apply(self, batch_id: str, task_id: str, status: str, now: float) -> None:
        tasks = self._orch().tasks[batch_id]
        ready, skipped = consequences([_copy(t) for t in tasks], task_id, status)
        for t in tasks:
            if t.task_id in ready:
                t.ready = True
            elif t.task_id in skipped:
                t.status, t.error, t.finished_at = TaskStatus.SKIPPED, skipped[t.task_id], now

    def claim_orch_tasks(
        self, owner: str, now: float, lease_s: float, limit: int, limits: ClaimLimits
    ) -> list[OrchTask]:
        with self._lock:
            every = [t for ts in self._orch().tasks.values() for t in ts]
            running = [
                t for t in every if t.status == TaskStatus.RUNNING and (t.lease_until or 0.0) >= now
            ]
            expired = sorted(
                (
                    t
                    for t in every
                    if t.status == TaskStatus.RUNNING and (t.lease_until or 0.0) < now
                ),
                key=lambda t: (t.lease_until or 0.0, t.batch_id, t.seq),
            )
            pending = sorted(
                (t for t in every if t.status == TaskStatus.PENDING and t.ready),
                key=lambda t: (-t.priority, t.created_at, t.batch_id, t.seq),
            )
            for t in expired:
                if t.attempts >= limits.max_attempts:
                    t.status, t.finished_at = TaskStatus.FAILED, now
                    t.error = quarantine_reason(t.attempts)
                    t.lease_owner = t.lease_until = None
                    self._apply(t.batch_id, t.task_id, TaskStatus.FAILED, now)
            expired = [t for t in expired if t.status == TaskStatus.RUNNING]
            chosen = pick(
                [(t.tenant_id, t.server) for t in running],
                [*expired, *pending],
                limit,
                limits.per_tenant,
                limits.per_server,
            )
            for t in chosen:
                t.status, t.lease_owner, t.lease_until = TaskStatus.RUNNING, owner, now + lease_s
                t.attempts += 1
                if t.started_at is None:
                    t.started_at = now
            return [_copy(t) for t in chosen]

    def finish_orch_task(
        self, owner: str, batch_id: str, task_id: str, outcome: TaskOutcome, now: float
    ) -> bool:
        with self._lock:
            tasks = self._orch().tasks.get(batch_id, [])
            task = next((t for t in tasks if t.task_id == task_id), None)
            if task is None or task.status != TaskStatus.RUNNING or task.lease_owner != owner:
                return False
            self._apply(batch_id, task_id, outcome.status, now)
            task.status = outcome.status
            task.result = None if outcome.result is None else loads(dumps(outcome.result))
            task.confidence = outcome.confidence
            task.tokens_in, task.tokens_out = outcome.tokens_in, outcome.tokens_out
            task.error, task.finished_at = outcome.error, now
            task.lease_owner = task.lease_until = None
            return True

    def orch_lease_owners(self) -> list[str]:
        with self._lock:
            return sorted(
                {
                    t.lease_owner
                    for ts in self._orch().tasks.values()
                    for t in ts
                    if t.status == TaskStatus.RUNNING and t.lease_owner is not None
                }
            )

    def release_orch_leases(self, owners: Sequence[str]) -> int:
        wanted = set(owners)
        n = 0
        with self._lock:
            for ts in self._orch().tasks.values():
                for t in ts:
                    if t.status == TaskStatus.RUNNING and t.lease_owner in wanted:
                        t.status, t.lease_owner, t.lease_until = TaskStatus.PENDING, None, None
                        n += 1
        return n


__all__ = ["MemoryOrchestration"]
