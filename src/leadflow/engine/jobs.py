"""Periodic jobs a worker runs when they are due (:class:`~leadflow.engine.ports.PeriodicJob`)."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.engine.ports import PeriodicJob

# A background job waits for a pass with no other work; a worker that stays busy runs it anyway
# once this many of its intervals have gone by, so its backlog stays bounded.
BUSY_PATIENCE = 6


def is_background(job: PeriodicJob) -> bool:
    """Whether ``job`` yields to the engine's work (``background = True``)."""
    return bool(getattr(job, "background", False))


class DueJobs:
    """Runs each job at the first look, then at most once per its ``interval_s`` of clock time
    (measured from the last run). A background job is first due ``interval_s`` after the first
    look, and only on an idle pass (``busy=False``) unless ``BUSY_PATIENCE`` intervals went by."""

    def __init__(self, jobs: Sequence[PeriodicJob]) -> None:
        self.jobs = list(jobs)
        self._last: dict[int, float] = {}  # index in jobs -> when it last ran (or was first seen)

    def run_due(self, now: float, done: dict[str, int] | None = None, *, busy: bool = False) -> int:
        """Run the jobs due at ``now``; how much they did (added per job name to ``done``).
        ``busy``: this pass found other work (background jobs wait for an idle one)."""
        total = 0
        for i, job in enumerate(self.jobs):
            last = self._last.get(i)
            if is_background(job):
                if last is None:
                    self._last[i] = now  # the count starts at the worker's first look
                    continue
                wait = job.interval_s * (BUSY_PATIENCE if busy else 1)
                if now - last < wait:
                    continue
            elif last is not None and now - last < job.interval_s:
                continue
            self._last[i] = now
            n = job.run(now)
            total += n
            if done is not None and n:
                done[job.name] = done.get(job.name, 0) + n
        return total


__all__ = ["BUSY_PATIENCE", "DueJobs", "is_background"]
