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
from leadflow.model.records import Contact, Message, Run, Scope, Step
from leadflow.store.contract import Store

DECISION_KINDS = ("branch", "split", "wait_for_event", "parallel")
SEND_METRICS = ("sent", "delivered", "opened", "clicked", "replied", "suppressed", "send_failed")
NODE_METRICS = ("entered", "completed", "failed", "current")
_NOT_DONE = ("waiting", "deferred", "goal:", "exit:", "forked")
_FAILED = ("failed", "on_error", "error")
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


def _outcome_name(step: Step) -> str | None:
    o = step.outcome
    if step.kind in DECISION_KINDS and (
        o.startswith(("case:", "arm:", "joined")) or o in ("default", "event", "timeout")
    ):
        return o
    return None


def _add_steps(data: FunnelData, steps: Sequence[Step], version_of: dict[int, int]) -> None:
    s = data.sets
    for step in steps:
        if step.kind == "goal":
            continue
        v = version_of[step.run_id]
        s[(v, step.node, "entered")].add(step.run_id)
        if step.outcome in _FAILED:
            s[(v, step.node, "failed")].add(step.run_id)
        elif not step.outcome.startswith(_NOT_DONE):
            s[(v, step.node, "completed")].add(step.run_id)
        name = _outcome_name(step)
        if name is not None:
            s[(v, step.node, f"outcome:{name}")].add(step.run_id)


def _add_messages(
    data: FunnelData, messages: Sequence[Message], version_of: dict[int, int]
) -> None:
    s = data.sets
    for m in messages:
        if m.run_id is None or m.node is None or m.run_id not in version_of:
            continue
        key = (version_of[m.run_id], m.node)
        if m.sent_at is not None:
            seen = data.first_touch.get(m.run_id)
            if seen is None or m.sent_at < seen[0]:
                data.first_touch[m.run_id] = (m.sent_at, m.channel)
        flags = {
            "sent": m.sent_at is not None or m.status in ("sent", "delivered"),
            "delivered": m.delivered_at is not None or m.status == "delivered",
            "opened": m.opened_at is not None,
            "clicked": m.clicked_at is not None,
            "replied": m.replied_at is not None,
            "suppressed": m.status == "suppressed",
            "send_failed": m.status == "failed",
        }
        for metric, on in flags.items():
            target = s[(*key, f"msg:{metric}")]
            if on:
                target.add(m.run_id)


def _add_runs(data: FunnelData, runs: Sequence[Run], whole: Sequence[Run]) -> None:
    """Workflow-wide sets from the ``whole`` runs (no branch runs), node sets from all."""
    s = data.sets
    for run in whole:
        s[(0, "", "entered")].add(run.id)
        s[(0, "", f"status:{run.status}")].add(run.id)
        if run.status == "exited":
            s[(0, "", f"exited:{run.exit_reason or ''}")].add(run.id)
    for run in runs:
        if run.status == "exited" and run.node:
            s[(run.version, run.node, f"exited:{run.exit_reason or ''}")].add(run.id)
        if run.status == "failed" and run.node:
            s[(run.version, run.node, "failed")].add(run.id)
        if run.status in ("active", "waiting", "paused") and run.node:
            s[(run.version, run.node, "current")].add(run.id)


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
        times = [t for t in firsts.get(run.contact_id, ()) if 0 <= t - run.created_at <= window_s]
        if times:
            data.sets[(0, "", "goal")].add(run.id)
            data.hours_to_goal.append((min(times) - run.created_at) / HOUR)


def compute(
    store: Store,
    scope: Scope,
    workflow_key: str,
    flt: Filters,
    *,
    goals: Sequence[str] = (),
    window_days: float = 30.0,
) -> FunnelData:
    """Read the workflow's runs, steps, messages and goal events in ``scope`` and count."""
    versions = {}
    latest = store.get_workflow(scope.tenant_id, workflow_key)
    if latest is None:
        raise NotFound(f"no workflow {workflow_key!r}")
    if window_days <= 0:
        raise InvalidInput("window_days: must be more than 0")
    for v in range(1, latest.version + 1):
        wf = latest if v == latest.version else store.get_workflow(scope.tenant_id, workflow_key, v)
        if wf is not None:
            versions[v] = wf
    runs, contacts = runs_in(store, scope, workflow_key, flt)
    data = FunnelData(workflow_key, window_days=window_days)
    data.goal_types = tuple(goals) or _goal_types(store, scope.tenant_id, workflow_key)
    data.contact_of = {r.id: r.contact_id for r in runs}
    data.source_of = {r.id: source_of(contacts[r.contact_id]) for r in runs}
    data.entered_at = {r.id: r.created_at for r in runs}
    data.contacts = contacts
    version_of = {r.id: r.version for r in runs}
    used = set(version_of.values())
    for v, wf in sorted(versions.items()):
        if v in used:
            data.nodes += [(v, n["id"], n["kind"]) for n in wf.definition.get("nodes", [])]
    # A parallel node's branch runs count at the nodes they enter, not as runs of their own.
    whole = [r for r in runs if r.parent_run_id is None]
    _add_runs(data, runs, whole)
    _add_steps(data, store.steps_of_runs(version_of), version_of)
    _add_messages(data, store.messages_of_runs(version_of), version_of)
    _add_goals(data, store, whole, data.goal_types, window_days * DAY)
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


def report(data: FunnelData) -> dict[str, Any]:
    """The funnel as JSON: the workflow's totals and one object per (version, node)."""
    s = data.sets

    def n(v: int, node: str, metric: str) -> int:
        return len(s.get((v, node, metric), ()))

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
            k[2].split(":", 1)[1]: len(ids)
            for k, ids in sorted(s.items())
            if k[:2] == (v, node) and k[2].startswith("exited:")
        }
        if kind.startswith("send_") or kind == "voice_call" or (v, node, "msg:sent") in s:
            row.update({m: n(v, node, f"msg:{m}") for m in SEND_METRICS})
        if kind in DECISION_KINDS:
            outs = {
                k[2].removeprefix("outcome:"): len(ids)
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
            "hours_to_goal": _quartiles(sorted(data.hours_to_goal)),
            "histogram": _histogram(data.hours_to_goal),
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
    data: FunnelData, key: tuple[int, str, str], after: str | None, limit: int
) -> tuple[list[str], str | None]:
    """The contacts behind one number, by contact id after ``after``: (page, next)."""
    ids = sorted({data.contact_of[r] for r in data.sets.get(key, ()) if r in data.contact_of})
    if after is not None:
        ids = [c for c in ids if c > after]
    page = ids[:limit]
    return page, (page[-1] if len(ids) > limit else None)


__all__ = ["FunnelData", "compute", "drill", "metric_key", "report"]
