"""The funnel and cohort counts in the memory backend: the rules of
:mod:`leadflow.store.funnel_facts` applied to the records themselves."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from leadflow.model.records import Contact, Event, Message, Run, RunFilter, Step
from leadflow.store.funnel_facts import (
    FunnelCounts,
    Key,
    RunSelection,
    add_messages,
    add_runs,
    add_steps,
    cohort_cell,
    goal_delay,
    roots,
)
from leadflow.store.parts import MemoryPart

DAY = 86400.0


class MemoryFunnel(MemoryPart):
    if TYPE_CHECKING:

        def list_runs(self, flt: RunFilter) -> list[Run]: ...

        def get_contacts(self, contact_ids: Iterable[str]) -> dict[str, Contact]: ...

        def steps_of_runs(self, run_ids: Iterable[int]) -> list[Step]: ...

        def messages_of_runs(self, run_ids: Iterable[int]) -> list[Message]: ...

        def contact_events(
            self, contact_ids: Iterable[str], types: Iterable[str], since: float = 0.0
        ) -> list[Event]: ...

    def _selected(self, sel: RunSelection) -> list[Run]:
        runs = self.list_runs(
            RunFilter(workflow_key=sel.workflow_key, scope=sel.scope, limit=1 << 62)
        )
        contacts = self.get_contacts({r.contact_id for r in runs})
        wanted = None if sel.run_ids is None else set(sel.run_ids)
        out = []
        for r in runs:
            contact = contacts.get(r.contact_id)
            if contact is None or (wanted is not None and r.id not in wanted):
                continue
            if sel.agents is not None and contact.owner not in sel.agents:
                continue
            if (sel.since is None or r.created_at >= sel.since) and (
                sel.until is None or r.created_at < sel.until
            ):
                out.append(r)
        return out

    def _goal_times(self, runs: Sequence[Run], goals: Sequence[str]) -> dict[str, list[float]]:
        times: dict[str, list[float]] = defaultdict(list)
        if runs and goals:
            since = min(r.created_at for r in runs)
            for e in self.contact_events({r.contact_id for r in runs}, goals, since):
                if e.contact_id:
                    times[e.contact_id].append(e.occurred_at)
        return times

    def _sets(
        self, sel: RunSelection, goals: Sequence[str], window_s: float
    ) -> tuple[list[Run], dict[Key, set[int]], list[float]]:
        runs = self._selected(sel)
        sets: dict[Key, set[int]] = defaultdict(set)
        version_of = {r.id: r.version for r in runs}
        add_runs(sets, runs)
        add_steps(sets, self.steps_of_runs(version_of), version_of)
        add_messages(sets, self.messages_of_runs(version_of), version_of)
        hours = []
        whole = roots(runs)
        times = self._goal_times(whole, goals)
        for run in whole:
            delay = goal_delay(run, times.get(run.contact_id, ()), window_s)
            if delay is not None:
                sets[(0, "", "goal")].add(run.id)
                hours.append(delay / 3600.0)
        return runs, sets, hours

    def funnel_counts(
        self, sel: RunSelection, goals: Sequence[str], window_s: float
    ) -> FunnelCounts:
        runs, sets, hours = self._sets(sel, goals, window_s)
        return FunnelCounts({k: len(v) for k, v in sets.items()}, hours, {r.version for r in runs})

    def funnel_contacts(
        self,
        sel: RunSelection,
        key: Key,
        goals: Sequence[str],
        window_s: float,
        after: str | None,
        limit: int,
    ) -> list[str]:
        runs, sets, _ = self._sets(sel, goals, window_s)
        contact_of = {r.id: r.contact_id for r in runs}
        ids = sorted({contact_of[r] for r in sets.get(key, ())})
        return [c for c in ids if after is None or c > after][: max(0, limit)]

    def cohort_counts(
        self,
        sel: RunSelection,
        goals: Sequence[str],
        limits: Sequence[float],
        spans: Sequence[float],
    ) -> list[tuple[int, int, int, int]]:
        runs = roots(self._selected(sel))
        times = self._goal_times(runs, goals)
        totals: dict[tuple[int, int, int], int] = defaultdict(int)
        for run in runs:
            hits = [t for t in times.get(run.contact_id, ()) if t >= run.created_at]
            first = min(hits) - run.created_at if hits else None
            lived, reached = cohort_cell(run.created_at, first, limits, spans)
            totals[(math.floor(run.created_at / DAY), lived, reached)] += 1
        return [(*k, n) for k, n in sorted(totals.items())]


__all__ = ["MemoryFunnel"]
