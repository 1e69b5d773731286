"""Periodic jobs a worker runs when they are due (:class:`~leadflow.engine.ports.PeriodicJob`)."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.engine.ports import PeriodicJob


class DueJobs:
    """Runs each job at the first look, then at most once per its ``interval_s`` of clock time
    (measured from the last run)."""

    def __init__(self, jobs: Sequence[PeriodicJob]) -> None:
        self.jobs = list(jobs)
        self._last: dict[int, float] = {}  # index in jobs -> when it last ran

    def run_due(self, now: float, done: dict[str, int] | None = None) -> int:
        """Run the jobs due at ``now``; how much they did (added per job name to ``done``)."""
        total = 0
        for i, job in enumerate(self.jobs):
            last = self._last.get(i)
            if last is not None and now - last < job.interval_s:
                continue
            self._last[i] = now
            n = job.run(now)
            total += n
            if done is not None and n:
                done[job.name] = done.get(job.name, 0) + n
        return total


__all__ = ["DueJobs"]
