"""Cohorts: the runs of a workflow grouped by the week (Monday, UTC) or month they entered,
optionally per lead source, and for each cohort the share that reached a goal (any event
types) within 1, 2, ... N weeks of entering -- a retention-style grid, cumulative along a row.

A cell counts only the runs that have been in for the whole span (entered at least that many
weeks before ``now``); a cell no run has lived through yet is None, so a young cohort's row
ends early instead of looking worse than it is."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from leadflow.analytics.filters import Filters, runs_in, source_of
from leadflow.analytics.funnel import selection
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.records import Scope
from leadflow.store.contract import Store
from leadflow.store.funnel_facts import RunSelection, lived_limits, roots

DAY = 86400.0
WEEK = 7 * DAY
PERIODS = ("week", "month")


def cohort_of(at: float, period: str) -> str:
    """The cohort's label: the Monday (``2026-01-05``) or month (``2026-01``) of ``at``, UTC."""
    day = dt.datetime.fromtimestamp(at, dt.UTC).date()
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def _selections(
    store: Store, scope: Scope, workflow_key: str, flt: Filters, by_source: bool
) -> list[tuple[str | None, RunSelection]]:
    """The runs to count, per lead source when ``by_source`` (picked here: the source is a
    contact field), else all at once."""
    if not by_source:
        return [(None, selection(store, scope, workflow_key, flt))]
    runs, contacts = runs_in(store, scope, workflow_key, flt)
    by: dict[str | None, list[int]] = defaultdict(list)
    for run in roots(runs):
        by[source_of(contacts[run.contact_id])].append(run.id)
    return [
        (source, RunSelection(scope, workflow_key, flt.since, flt.until, flt.agents, tuple(ids)))
        for source, ids in by.items()
    ]


def cohorts(
    store: Store,
    scope: Scope,
    workflow_key: str,
    flt: Filters,
    now: float,
    *,
    goals: Sequence[str] = (),
    period: str = "week",
    weeks: int = 12,
    by_source: bool = False,
) -> dict[str, Any]:
    """The grid as JSON: one row per cohort (and source) with its size and ``cells[k]``: the
    share reaching the goal within k+1 weeks, with the runs it is over."""
    if period not in PERIODS:
        raise InvalidInput("period: must be week or month")
    if not 1 <= weeks <= 104:
        raise InvalidInput("weeks: must be 1 to 104")
    wf = store.get_workflow(scope.tenant_id, workflow_key)
    if wf is None:
        raise NotFound(f"no workflow {workflow_key!r}")
    if not goals:
        spec = (wf.definition.get("settings") or {}).get("goals") or []
        goals = sorted({g["event"] for g in spec if g.get("event")})
    if not goals:
        raise InvalidInput("goal: the workflow declares no goal event; name one")
    spans = [(k + 1) * WEEK for k in range(weeks)]
    limits = lived_limits(now, spans)
    rows: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0] * (2 * weeks + 1))
    for source, sel in _selections(store, scope, workflow_key, flt, by_source):
        for day, lived, reached, n in store.cohort_counts(sel, goals, limits, spans):
            counts = rows[(cohort_of(day * DAY, period), source)]
            counts[0] += n
            for k in range(lived):
                counts[1 + k] += n
                if reached <= k:
                    counts[1 + weeks + k] += n
    out = []
    for (label, source), sums in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        cells: list[dict[str, Any] | None] = []
        for k in range(weeks):
            lived_n, hit = sums[1 + k], sums[1 + weeks + k]
            if not lived_n:
                cells.append(None)
                continue
            cells.append({"runs": lived_n, "reached": hit, "share": round(hit / lived_n, 4)})
        row: dict[str, Any] = {"cohort": label, "size": sums[0], "cells": cells}
        if by_source:
            row["source"] = source
        out.append(row)
    return {
        "workflow": workflow_key,
        "goal": list(goals),
        "period": period,
        "weeks": weeks,
        "rows": out,
    }


__all__ = ["PERIODS", "cohort_of", "cohorts"]
