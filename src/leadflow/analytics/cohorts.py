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
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.records import Run, Scope
from leadflow.store.contract import Store

WEEK = 7 * 86400.0
PERIODS = ("week", "month")


def cohort_of(at: float, period: str) -> str:
    """The cohort's label: the Monday (``2026-01-05``) or month (``2026-01``) of ``at``, UTC."""
    day = dt.datetime.fromtimestamp(at, dt.UTC).date()
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def _first_goals(store: Store, runs: Sequence[Run], goals: Sequence[str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    if runs:
        since = min(r.created_at for r in runs)
        for e in store.contact_events({r.contact_id for r in runs}, goals, since):
            if e.contact_id:
                times[e.contact_id].append(e.occurred_at)
    return times


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
    runs, contacts = runs_in(store, scope, workflow_key, flt)
    reached = _first_goals(store, runs, goals)
    rows: dict[tuple[str, str | None], list[tuple[float, float | None]]] = defaultdict(list)
    for run in runs:
        source = source_of(contacts[run.contact_id]) if by_source else None
        hits = [t for t in reached.get(run.contact_id, ()) if t >= run.created_at]
        first = min(hits) - run.created_at if hits else None
        rows[(cohort_of(run.created_at, period), source)].append((run.created_at, first))
    out = []
    for (label, source), members in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        cells: list[dict[str, Any] | None] = []
        for k in range(weeks):
            span = (k + 1) * WEEK
            lived = [(t0, first) for t0, first in members if t0 + span <= now]
            if not lived:
                cells.append(None)
                continue
            hit = sum(1 for _, first in lived if first is not None and first <= span)
            cells.append({"runs": len(lived), "reached": hit, "share": round(hit / len(lived), 4)})
        row: dict[str, Any] = {"cohort": label, "size": len(members), "cells": cells}
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
