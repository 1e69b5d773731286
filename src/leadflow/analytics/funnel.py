"""The funnel of one workflow, per version and node, over the runs a scope and filters select.

Per node: runs that entered it, completed it (went on), failed at it, exited at it (by
reason) and are at it now; per send node the runs whose message was sent, delivered, opened,
clicked, replied (and suppressed or failed); per branch / split / wait_for_event node the share
of runs taking each case, arm or outcome. Per workflow: runs by status, and the conversion to
a goal (any event types) within a window of the run's entry, with time-to-goal median and
quartiles. Every number is the size of a set of runs, and :func:`drill` lists the contacts
behind any of them (paged by contact id).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.analytics.filters import Filters, runs_in, source_of
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.records import Contact, Message, Run, Scope
from leadflow.store.contract import Store
from leadflow.store.funnel_facts import (
    DECISION_KINDS,
    SEND_METRICS,
    FunnelCounts,
    RunSelection,
    add_messages,
    add_runs,
    add_steps,
    goal_delay,
    roots,
)

NODE_METRICS = ("entered", "completed", "failed", "current")
HOUR = 3600.0
DAY = 86400.0
HISTOGRAM_HOURS = (1, 4, 24, 72, 168, 720)


@dataclass(slots=True)
class FunnelData:
    """The sets of run ids behind every number, keyed (version, node, metric); workflow-wide
    sets use version 0 and node ``""``. Contacts by run id, nodes in definition order."""

    workflow_key: str
    sets: dict[tuple[int, str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    contact_of: dict[int, str] = field(default_factory=dict)
    source_of: dict[int, str | None] = field(default_factory=dict)  # run id -> lead source
    entered_at: dict[int, float] = field(default_factory=dict)  # run id -> created_at
    first_touch: dict[int, tuple[float, str]] = field(default_factory=dict)  # (sent_at, channel)
    contacts: dict[str, Contact] = field(default_factory=dict)
    nodes: list[tuple[int, str, str]] = field(default_factory=list)  # (version, node, kind)
    hours_to_goal: list[float] = field(default_factory=list)
    goal_types: tuple[str, ...] = ()
    window_days: float = 30.0


def _goal_types(store: Store, tenant_id: str, key: str) -> tuple[str, ...]:
    wf = store.get_workflow(tenant_id, key)
    goals = (wf.definition.get("settings") or {}).get("goals") or [] if wf else []
    return tuple(sorted({g["event"] for g in goals if g.get("event")}))


def _first_touches(data: FunnelData, messages: Sequence[Message]) -> None:
    for m in messages:
        if m.run_id is None or m.node is None or m.run_id not in data.contact_of:
            continue
        if m.sent_at is not None:
            seen = data.first_touch.get(m.run_id)
            if seen is None or m.sent_at < seen[0]:
                data.first_touch[m.run_id] = (m.sent_at, m.channel)


def _add_goals(
    data: FunnelData, store: Store, runs: Sequence[Run], types: tuple[str, ...], window_s: float
) -> None:
    if not types or not runs:
        return
    since = min(r.created_at for r in runs)
    firsts: dict[str, list[float]] = defaultdict(list)
    for event in store.contact_events({r.contact_id for r in runs}, types, since):
        if event.contact_id:
            firsts[event.contact_id].append(event.occurred_at)
    for run in runs:
        delay = goal_delay(run, firsts.get(run.contact_id, ()), window_s)
        if delay is not None:
            data.sets[(0, "", "goal")].add(run.id)
            data.hours_to_goal.append(delay / HOUR)


@dataclass(slots=True)
class Funnel:
    """A funnel counted in the store: the sizes of the sets (not the sets), and what it takes
    to list the contacts behind any of them (:func:`drill`)."""

    workflow_key: str
    store: Store
    selection: RunSelection
    counted: FunnelCounts
    nodes: list[tuple[int, str, str]]
    goal_types: tuple[str, ...]
    window_days: float


def _versions(
    store: Store, tenant_id: str, workflow_key: str, window_days: float
) -> dict[int, Any]:
    latest = store.get_workflow(tenant_id, workflow_key)
    if latest is None:
        raise NotFound(f"no workflow {workflow_key!r}")
    if window_days <= 0:
        raise InvalidInput("window_days: must be more than 0")
    versions = {}
    for v in range(1, latest.version + 1):
        wf = latest if v == latest.version else store.get_workflow(tenant_id, workflow_key, v)
        if wf is not None:
            versions[v] = wf
    return versions


def _nodes(versions: dict[int, Any], used: set[int]) -> list[tuple[int, str, str]]:
    return [
        (v, n["id"], n["kind"])
        for v, wf in sorted(versions.items())
        if v in used
        for n in wf.definition.get("nodes", [])
    ]


def has_branches(store: Store, tenant_id: str, workflow_key: str) -> bool:
    """Whether any version of the workflow has a ``parallel`` node (so branch runs)."""
    latest = store.get_workflow(tenant_id, workflow_key)
    if latest is None:
        return False
    for v in range(latest.version, 0, -1):
        wf = latest if v == latest.version else store.get_workflow(tenant_id, workflow_key, v)
        nodes = wf.definition.get("nodes", []) if wf is not None else []
        if any(n.get("kind") == "parallel" for n in nodes):
            return True
    return False


def selection(store: Store, scope: Scope, workflow_key: str, flt: Filters) -> RunSelection:
    """The runs a report counts, as the store selects them: by workflow, scope, entry range
    and agents in its own query; a lead-source or tag filter, which reads the contact's
    fields, picks the run ids here first (:func:`runs_in`)."""
    branches = has_branches(store, scope.tenant_id, workflow_key)
    sel = RunSelection(scope, workflow_key, flt.since, flt.until, flt.agents, branches=branches)
    if flt.source is None and flt.tag is None:
        return sel
    runs, _ = runs_in(store, scope, workflow_key, flt)
    return RunSelection(scope, workflow_key, flt.since, flt.until, flt.agents,
                        tuple(r.id for r in runs), branches)  # fmt: skip


def compute(
    store: Store,
    scope: Scope,
    workflow_key: str,
    flt: Filters,
    *,
    goals: Sequence[str] = (),
    window_days: float = 30.0,
) -> Funnel:
    """Count the workflow's funnel in ``scope`` in the store: aggregate queries, no rows."""
    versions = _versions(store, scope.tenant_id, workflow_key, window_days)
    types = tuple(goals) or _goal_types(store, scope.tenant_id, workflow_key)
    sel = selection(store, scope, workflow_key, flt)
    counted = store.funnel_counts(sel, types, window_days * DAY)
    nodes = _nodes(versions, counted.versions)
    return Funnel(workflow_key, store, sel, counted, nodes, types, window_days)


def load(
    store: Store,
    scope: Scope,
    workflow_key: str,
    flt: Filters,
    *,
    goals: Sequence[str] = (),
    window_days: float = 30.0,
) -> FunnelData:
    """Read the workflow's runs, steps, messages and goal events in ``scope`` and keep every
    set (for the analyses that intersect them: insights, segments)."""
    versions = _versions(store, scope.tenant_id, workflow_key, window_days)
    runs, contacts = runs_in(store, scope, workflow_key, flt)
    data = FunnelData(workflow_key, window_days=window_days)
    data.goal_types = tuple(goals) or _goal_types(store, scope.tenant_id, workflow_key)
    data.contact_of = {r.id: r.contact_id for r in runs}
    data.source_of = {r.id: source_of(contacts[r.contact_id]) for r in runs}
    data.entered_at = {r.id: r.created_at for r in runs}
    data.contacts = contacts
    version_of = {r.id: r.version for r in runs}
    data.nodes = _nodes(versions, set(version_of.values()))
    add_runs(data.sets, runs)
    add_steps(data.sets, store.steps_of_runs(version_of), version_of)
    messages = store.messages_of_runs(version_of)
    add_messages(data.sets, messages, version_of)
    _first_touches(data, messages)
    # A parallel node's branch runs count at the nodes they enter, not as runs of their own.
    _add_goals(data, store, roots(runs), data.goal_types, window_days * DAY)
    return data


def _quartiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "q1": None, "q3": None}
    if len(values) == 1:
        return {"median": values[0], "q1": values[0], "q3": values[0]}
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"median": median, "q1": q1, "q3": q3}


def _histogram(hours: list[float]) -> list[dict[str, Any]]:
    bins, low = [], 0.0
    for high in (*HISTOGRAM_HOURS, None):
        n = sum(1 for h in hours if h >= low and (high is None or h < high))
        bins.append({"from_hours": low, "to_hours": high, "runs": n})
        low = float(high or 0)
    return bins


def report(data: FunnelData | Funnel) -> dict[str, Any]:
    """The funnel as JSON: the workflow's totals and one object per (version, node)."""
    if isinstance(data, Funnel):
        s = data.counted.counts
        hours = data.counted.hours_to_goal
    else:
        s = {k: len(ids) for k, ids in data.sets.items()}
        hours = data.hours_to_goal

    def n(v: int, node: str, metric: str) -> int:
        return s.get((v, node, metric), 0)

    entered = n(0, "", "entered")
    converted = n(0, "", "goal")
    statuses = sorted(
        k[2].split(":", 1)[1] for k in s if k[:2] == (0, "") and k[2].startswith("status:")
    )
    reasons = sorted(
        k[2].split(":", 1)[1] for k in s if k[:2] == (0, "") and k[2].startswith("exited:")
    )
    nodes = []
    for v, node, kind in data.nodes:
        row: dict[str, Any] = {"version": v, "node": node, "kind": kind}
        row.update({m: n(v, node, m) for m in NODE_METRICS})
        row["exited"] = {
            k[2].split(":", 1)[1]: ids
            for k, ids in sorted(s.items())
            if k[:2] == (v, node) and k[2].startswith("exited:")
        }
        if kind.startswith("send_") or kind == "voice_call" or (v, node, "msg:sent") in s:
            row.update({m: n(v, node, f"msg:{m}") for m in SEND_METRICS})
        if kind in DECISION_KINDS:
            outs = {
                k[2].removeprefix("outcome:"): ids
                for k, ids in sorted(s.items())
                if k[:2] == (v, node) and k[2].startswith("outcome:")
            }
            total = sum(outs.values())
            row["outcomes"] = {
                o: {"runs": c, "share": round(c / total, 4) if total else 0.0}
                for o, c in outs.items()
            }
        nodes.append(row)
    return {
        "workflow": data.workflow_key,
        "entered": entered,
        "by_status": {st: n(0, "", f"status:{st}") for st in statuses},
        "exited": {r: n(0, "", f"exited:{r}") for r in reasons},
        "goal": {
            "events": list(data.goal_types),
            "window_days": data.window_days,
            "converted": converted,
            "rate": round(converted / entered, 4) if entered else 0.0,
            "hours_to_goal": _quartiles(sorted(hours)),
            "histogram": _histogram(hours),
        },
        "nodes": nodes,
    }


def metric_key(version: int | None, node: str | None, metric: str) -> tuple[int, str, str]:
    """The set behind a number: node metrics (``entered``, ``sent``, ``outcome:case:0``,
    ``exited:<reason>``...) need a version and node; workflow metrics (``entered``, ``goal``,
    ``status:<s>``, ``exited:<reason>``) need neither."""
    if node is None:
        return (0, "", metric)
    if version is None:
        raise InvalidInput("version: a node's number needs its version")
    name = f"msg:{metric}" if metric in SEND_METRICS else metric
    return (version, node, name)


def drill(
    data: FunnelData | Funnel, key: tuple[int, str, str], after: str | None, limit: int
) -> tuple[list[str], str | None]:
    """The contacts behind one number, by contact id after ``after``: (page, next)."""
    if isinstance(data, Funnel):
        window_s = data.window_days * DAY
        ids = data.store.funnel_contacts(
            data.selection, key, data.goal_types, window_s, after, max(0, limit) + 1
        )
    else:
        ids = sorted({data.contact_of[r] for r in data.sets.get(key, ()) if r in data.contact_of})
        if after is not None:
            ids = [c for c in ids if c > after]
    page = ids[:limit]
    return page, (page[-1] if len(ids) > limit else None)


__all__ = [
    "DECISION_KINDS",
    "SEND_METRICS",
    "Funnel",
    "FunnelData",
    "compute",
    "drill",
    "has_branches",
    "load",
    "metric_key",
    "report",
    "selection",
]
