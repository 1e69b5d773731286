"""Helpers for orchestration tests: a worker-side runtime on a database and its orchestration
job, run until nothing is left to claim."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from leadflow.ai.orchestration.runner import OrchestrationJob
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings


def job_of(rt: Runtime) -> OrchestrationJob:
    (job,) = [j for j in rt.engine.registry.jobs if isinstance(j, OrchestrationJob)]
    return job


@contextmanager
def worker_side(settings: Settings) -> Iterator[tuple[Runtime, OrchestrationJob]]:
    rt = build_runtime(settings)
    try:
        yield rt, job_of(rt)
    finally:
        rt.close()


def drain(job: OrchestrationJob, now: float, rounds: int = 1000) -> int:
    """Run the job until a pass finds nothing to claim; the tasks finished."""
    total = 0
    for _ in range(rounds):
        n = job.run(now)
        if n == 0:
            return total
        total += n
    raise AssertionError("the orchestration job never ran dry")
