"""Records of AI task orchestration: a batch of AI tasks a tenant submitted, and its tasks.

A task is a row: a worker claims it with a lease, runs it, and stores its outcome fenced by that
lease (a stale worker's outcome is refused), so each task's outcome is stored exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TaskStatus(StrEnum):
    PENDING = "pending"  # waiting for its dependencies or for a worker
    RUNNING = "running"  # claimed (leased); claimable again when the lease expires
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # a dependency failed, was skipped or cancelled
    CANCELLED = "cancelled"  # the batch was cancelled before the task started


FINAL = frozenset({TaskStatus.DONE, TaskStatus.FAILED, TaskStatus.SKIPPED, TaskStatus.CANCELLED})
KINDS = ("compose", "classify", "summarise", "draft_workflow", "draft_campaign")


@dataclass(slots=True)
class OrchTask:
    """One AI task of a batch: ``task_id`` is the submitter's id, unique within the batch;
    ``server`` names the model server it calls ("local" when it calls none), for the per-server
    concurrency limit; ``ready`` is true once every dependency is done."""

    batch_id: str
    task_id: str
    tenant_id: str
    kind: str
    input: dict[str, Any]
    priority: int = 0
    depends_on: list[str] = field(default_factory=list)
    server: str = "local"
    seq: int = 0  # submission order within the batch
    created_at: float = 0.0  # the batch's submission time (claims serve older batches first)
    status: str = TaskStatus.PENDING
    ready: bool = True
    result: Any = None
    confidence: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    error: str | None = None
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: float | None = None
    started_at: float | None = None
    finished_at: float | None = None


@dataclass(slots=True)
class OrchBatch:
    """A submitted batch; its status follows from its tasks (:func:`batch_status`)."""

    id: str
    tenant_id: str
    created_at: float
    label: str = ""
    cancelled_at: float | None = None
    counts: dict[str, int] = field(default_factory=dict)  # task status -> tasks (filled on read)


@dataclass(frozen=True, slots=True)
class ClaimLimits:
    """What a claim may take, counted over every worker: tasks of one tenant running at once,
    tasks calling one model server at once, and the attempts a task gets before it is failed."""

    per_tenant: int
    per_server: int
    max_attempts: int


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    """What a worker stores for a task it ran: done (``result``) or failed (``error``)."""

    status: str
    result: Any = None
    confidence: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    error: str | None = None


def batch_status(batch: OrchBatch) -> str:
    """running while a task is pending or running (cancelling once cancel was asked); then
    cancelled, completed (every task done) or completed_with_errors."""
    c = batch.counts
    live = c.get(TaskStatus.PENDING, 0) + c.get(TaskStatus.RUNNING, 0)
    if live:
        return "cancelling" if batch.cancelled_at is not None else "running"
    if batch.cancelled_at is not None:
        return "cancelled"
    total = sum(c.values())
    return "completed" if c.get(TaskStatus.DONE, 0) == total else "completed_with_errors"


def consequences(
    tasks: list[OrchTask], task_id: str, status: str
) -> tuple[list[str], dict[str, str]]:
    """What a task of a batch ending with ``status`` changes for the others (``tasks``: the
    whole batch as it was before): the pending tasks that become ready (every dependency done),
    and the pending tasks skipped (a dependency, directly or through others, did not succeed),
    each with its reason naming the dependency."""
    by_id = {t.task_id: t for t in tasks}
    final = {t.task_id: str(t.status) for t in tasks}
    final[task_id] = status
    dependents: dict[str, list[str]] = {}
    for t in tasks:
        for dep in t.depends_on:
            dependents.setdefault(dep, []).append(t.task_id)
    ready: list[str] = []
    skipped: dict[str, str] = {}
    if status == TaskStatus.DONE:
        for other in dependents.get(task_id, []):
            t = by_id[other]
            waiting = t.status == TaskStatus.PENDING and not t.ready
            if waiting and all(final.get(d) == TaskStatus.DONE for d in t.depends_on):
                ready.append(other)
        return ready, skipped
    verb = {"failed": "failed", "skipped": "was skipped", "cancelled": "was cancelled"}
    todo = [(task_id, status)]
    while todo:
        cause, how = todo.pop()
        for other in dependents.get(cause, []):
            if other in skipped or by_id[other].status != TaskStatus.PENDING:
                continue
            skipped[other] = f"dependency {cause!r} {verb.get(how, how)}"
            todo.append((other, TaskStatus.SKIPPED))
    return ready, skipped


__all__ = [
    "FINAL",
    "KINDS",
    "ClaimLimits",
    "OrchBatch",
    "OrchTask",
    "TaskOutcome",
    "TaskStatus",
    "batch_status",
    "consequences",
]
