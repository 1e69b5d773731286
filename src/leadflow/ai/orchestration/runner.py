"""The workers' side of orchestration: a periodic job that claims runnable tasks (leased, within
the per-tenant and per-model-server limits counted over every worker), runs them on a small
thread pool, and stores each outcome as soon as it is known, fenced by the lease (a worker
whose lease was taken over stores nothing). Tasks held by a dead worker of this machine are
released at once; elsewhere their leases expire. A task whose worker died ``max_attempts``
times while running it is quarantined (failed), its dependents skipped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from leadflow.ai.client import LlmClient, LlmConfig
from leadflow.ai.orchestration.intents import Classifier, keyword_intent
from leadflow.ai.orchestration.kinds import KIND_FUNCTIONS, TaskContext, TaskFailed
from leadflow.clock import Clock
from leadflow.engine.liveness import is_dead, owner_id
from leadflow.model.orchestration import ClaimLimits, OrchTask, TaskOutcome, TaskStatus
from leadflow.store.contract import Store
from leadflow.store.orchestration_claims import LOCAL

log = logging.getLogger("leadflow.ai.orchestration")


@dataclass(frozen=True)
class OrchestrationConfig:
    per_tenant: int = 4  # tasks of one tenant running at once, over all workers
    per_server: int = 4  # tasks calling one model server at once, over all workers
    batch: int = 8  # tasks one worker runs at once
    lease_s: float = 300.0
    max_attempts: int = 3
    interval_s: float = 0.1


def server_of(config: LlmConfig | None) -> str:
    """The name the per-server limit counts a model server by (its host:port), ``local``
    without a model."""
    if config is None:
        return LOCAL
    parts = urlsplit(config.base_url)
    return parts.netloc or config.base_url


class OrchestrationJob:
    """The :class:`~leadflow.engine.ports.PeriodicJob` running orchestration tasks."""

    name = "orchestration"

    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: OrchestrationConfig,
        client: Callable[[], LlmClient | None],
        owner: str | None = None,
        classifier: Classifier = keyword_intent,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.interval_s = config.interval_s
        self.client = client
        self.classifier = classifier
        self.owner = owner or owner_id()
        self.finished = 0
        self.lost = 0  # outcomes refused because the lease was taken over
        self._busy = threading.Lock()

    def release_dead(self) -> int:
        dead = [o for o in self.store.orch_lease_owners() if o == self.owner or is_dead(o)]
        if not dead:
            return 0
        n = self.store.release_orch_leases(dead)
        if n:
            log.warning("released %d orchestration task(s) of %s", n, ", ".join(dead))
        return n

    def run(self, now: float) -> int:
        # Workers of one process (``leadflow serve`` runs several threads) share this job: one
        # pass at a time, so a pass never takes another's leases (same owner) for leftovers.
        if not self._busy.acquire(blocking=False):
            return 0
        try:
            return self._pass(now)
        finally:
            self._busy.release()

    def _pass(self, now: float) -> int:
        self.release_dead()
        c = self.config
        claimed = self.store.claim_orch_tasks(
            self.owner,
            now,
            c.lease_s,
            c.batch,
            ClaimLimits(c.per_tenant, c.per_server, c.max_attempts),
        )
        if not claimed:
            return 0
        if len(claimed) == 1:
            return self._run_one(claimed[0])
        with ThreadPoolExecutor(len(claimed), thread_name_prefix="orchestrate") as pool:
            return sum(pool.map(self._run_one, claimed))

    def _run_one(self, task: OrchTask) -> int:
        outcome = self.outcome(task)
        stored = self.store.finish_orch_task(
            self.owner, task.batch_id, task.task_id, outcome, self.clock.now()
        )
        if stored:
            self.finished += 1
        else:
            self.lost += 1
            log.warning(
                "task %s/%s was taken over; its outcome is dropped", task.batch_id, task.task_id
            )
        return int(stored)

    def outcome(self, task: OrchTask) -> TaskOutcome:
        deps = {}
        if task.depends_on:
            found = self.store.orch_tasks(task.tenant_id, task.batch_id, task.depends_on)
            deps = {t.task_id: t.result for t in found}
        ctx = TaskContext(
            self.store,
            task.tenant_id,
            task.task_id,
            self.client() if task.server != LOCAL else None,
            deps,
            classifier=self.classifier,
        )
        try:
            got = KIND_FUNCTIONS[task.kind](ctx, task.input)
        except TaskFailed as exc:
            return TaskOutcome(
                TaskStatus.FAILED,
                error=str(exc),
                tokens_in=ctx.usage[0],
                tokens_out=ctx.usage[1],
            )
        except Exception as exc:  # a bug must fail the task, not the worker
            log.exception("task %s/%s (%s) raised", task.batch_id, task.task_id, task.kind)
            return TaskOutcome(TaskStatus.FAILED, error=f"internal error ({type(exc).__name__})")
        return TaskOutcome(
            TaskStatus.DONE, got.result, got.confidence, got.tokens_in, got.tokens_out
        )


__all__ = ["OrchestrationConfig", "OrchestrationJob", "server_of"]
