"""The funnel and cohort grid the database counts equal what Python counts from the rows, on a
random history (SQLite and PostgreSQL): every number of the funnel report, the contacts behind
every number (paged), and every cell of the cohort grid, under each filter and scope. The
history is written as rows, with the awkward cases on purpose: several steps of a run at one
node, failures both as a step outcome and as the run's status, empty and missing exit reasons,
messages without a run or node, goal events exactly at a run's entry and at the window's edge,
runs entering at midnight and exactly N weeks before now, and a second tenant with the same
workflow key."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import pytest

from leadflow.analytics.cohorts import cohort_of, cohorts
from leadflow.analytics.filters import Filters, runs_in, source_of
from leadflow.analytics.funnel import compute, drill, load, report
from leadflow.model.records import RunFilter, Scope
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from leadflow.store.funnel_sql import day_start
from support.stores import insert_rows

DAY = 86400.0
WEEK = 7 * DAY
START = 1_767_571_200.0  # Monday 2026-01-05 00:00 UTC
NOW = START + 10 * WEEK
OWNERS = ["a1", "a2", "a3", None]
NODES = [
    ("hello", "send_sms"),
    ("wait", "wait_for_event"),
    ("which", "branch"),
    ("ab", "split"),
    ("mail", "send_email"),
    ("done", "exit"),
    ("won", "goal"),
]
OUTCOMES = [
    "queued", "waiting", "deferred", "timer", "goal:won", "exit:done", "failed", "on_error",
    "error", "case:0", "case:1", "arm:a", "arm:b", "default", "event", "timeout", "sent",
    "waitingx", "Case:0",
]  # fmt: skip
STATUSES = ["active", "waiting", "paused", "completed", "exited", "failed", "cancelled"]
MSG_STATUSES = ["pending", "deferred", "sending", "sent", "delivered", "failed", "suppressed"]
GOALS = ["appointment.booked", "sms.received"]
COLUMNS = {
    "contacts": ["id", "owner", "tags", "fields", "created_at", "updated_at", "tenant_id"],
    "runs": ["id", "workflow_key", "version", "contact_id", "node", "status", "created_at",
             "updated_at", "ended_at", "exit_reason"],
    "steps": ["run_id", "node", "kind", "step_seq", "attempt", "outcome", "started_at"],
    "messages": ["run_id", "contact_id", "workflow_key", "node", "channel", "idempotency_key",
                 "due_at", "created_at", "status", "sent_at", "delivered_at", "opened_at",
                 "clicked_at", "replied_at"],
    "events": ["type", "contact_id", "data", "dedupe_key", "occurred_at", "created_at",
               "processed_at"],
}  # fmt: skip


def _workflow(version_tag: str) -> dict[str, Any]:
    nodes = [{"id": node, "kind": kind} for node, kind in NODES]
    return {
        "key": "wf",
        "name": version_tag,
        "settings": {"goals": [{"event": "appointment.booked"}]},
        "start": "hello",
        "nodes": nodes,
    }


def _maybe(rng: random.Random, value: float, p: float = 0.5) -> float | None:
    return value if rng.random() < p else None


def _history(store: Store, seed: int) -> None:
    """Two tenants, workflow ``wf`` in both (two versions in acme), and random rows."""
    rng = random.Random(seed)
    for tenant in ("acme", "zeta"):
        store.create_tenant(Tenant(tenant, tenant.title()), START)
    store.publish_workflow("wf", "WF", _workflow("v1"), START, tenant_id="acme")
    store.publish_workflow("wf", "WF", _workflow("v2"), START, tenant_id="acme")
    store.publish_workflow("wf", "WF", _workflow("z"), START, tenant_id="zeta")
    contacts, runs, steps, messages, events = [], [], [], [], []
    sources = ['"web"', '"zillow"', '""', "null", "7"]
    for i in range(60):
        cid = f"c{i:02d}" if i % 7 else f"C{i}"
        tenant = "zeta" if i >= 50 else "acme"
        tags = rng.choice(['["hot"]', '["cold"]', '["hot", "cold"]', "[]"])
        fields = rng.choice(
            [
                f'{{"source": {rng.choice(sources)}}}',
                f'{{"lead_source": {rng.choice(sources)}}}',
                f'{{"source": "", "LeadSource": {rng.choice(sources)}}}',
                "{}",
            ]
        )
        contacts.append((cid, rng.choice(OWNERS), tags, fields, START, START, tenant))
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            rid = len(runs) + 1
            t0 = rng.choice(
                [
                    START + rng.uniform(0, 10 * WEEK),
                    START + rng.randrange(70) * DAY,  # midnight
                    NOW - rng.randrange(1, 10) * WEEK,  # exactly k weeks before now
                ]
            )
            node = rng.choice([*(n for n, _ in NODES), None, ""])
            reason = rng.choice([None, "", "done", "replied"])
            status = rng.choice(STATUSES)
            version = rng.choice([1, 2]) if tenant == "acme" else 1
            runs.append((rid, "wf", version, cid, node, status, t0, t0, None, reason))
            for k in range(rng.randrange(0, 8)):
                n, kind = rng.choice(NODES)
                if rng.random() < 0.1:
                    kind = "goal"
                steps.append((rid, n, kind, k + 1, 1, rng.choice(OUTCOMES), t0 + k))
            for k in range(rng.randrange(0, 4)):
                n = rng.choice(["hello", "mail", "wait", None])
                at = t0 + rng.uniform(0, 3 * DAY)
                messages.append(
                    (
                        rng.choice([rid, rid, None]),
                        cid,
                        "wf",
                        n,
                        rng.choice(["sms", "email"]),
                        f"k{rid}-{k}",
                        at,
                        at,
                        rng.choice(MSG_STATUSES),
                        _maybe(rng, at),
                        _maybe(rng, at + 5),
                        _maybe(rng, at + 60, 0.3),
                        _maybe(rng, at + 90, 0.2),
                        _maybe(rng, at + 120, 0.2),
                    )
                )
        for k in range(rng.randrange(0, 5)):
            base = runs[-1][6] if runs and runs[-1][3] == cid else START + rng.uniform(0, 9 * WEEK)
            at = rng.choice(
                [base, base + 30 * DAY, base + DAY, base - 3600, base + rng.uniform(0, 6 * WEEK)]
            )
            kind = rng.choice([*GOALS, "page.viewed"])
            events.append((kind, cid, "{}", f"e{i}-{k}", at, at, at))
    for table, rows in (
        ("contacts", contacts),
        ("runs", runs),
        ("steps", steps),
        ("messages", messages),
        ("events", events),
    ):
        insert_rows(store, table, COLUMNS[table], rows)


def _reference_grid(
    store: Store, scope: Scope, flt: Filters, goals: Sequence[str], period: str, weeks: int,
    by_source: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    """The cohort grid as the rows say it, in Python (the algorithm before the database
    counted it)."""
    runs, contacts = runs_in(store, scope, "wf", flt)
    runs = [r for r in runs if r.parent_run_id is None]  # a branch run did not enter
    times: dict[str, list[float]] = defaultdict(list)
    if runs:
        since = min(r.created_at for r in runs)
        for e in store.contact_events({r.contact_id for r in runs}, goals, since):
            if e.contact_id:
                times[e.contact_id].append(e.occurred_at)
    rows: dict[tuple[str, str | None], list[tuple[float, float | None]]] = defaultdict(list)
    for run in runs:
        source = source_of(contacts[run.contact_id]) if by_source else None
        hits = [t for t in times.get(run.contact_id, ()) if t >= run.created_at]
        first = min(hits) - run.created_at if hits else None
        rows[(cohort_of(run.created_at, period), source)].append((run.created_at, first))
    out = []
    for (label, source), members in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        cells: list[dict[str, Any] | None] = []
        for k in range(weeks):
            span = (k + 1) * WEEK
            lived = [(t0, first) for t0, first in members if t0 + span <= NOW]
            if not lived:
                cells.append(None)
                continue
            hit = sum(1 for _, first in lived if first is not None and first <= span)
            cells.append({"runs": len(lived), "reached": hit, "share": round(hit / len(lived), 4)})
        row: dict[str, Any] = {"cohort": label, "size": len(members), "cells": cells}
        if by_source:
            row["source"] = source
        out.append(row)
    return out


CASES = [
    (Scope("acme"), Filters()),
    (Scope("acme"), Filters(agents=frozenset({"a1", "a3"}))),
    (Scope("acme", frozenset({"a2"})), Filters()),
    (Scope("acme"), Filters(since=START + 2 * WEEK, until=START + 7 * WEEK)),
    (Scope("acme"), Filters(tag="hot")),
    (Scope("acme"), Filters(source="web", agents=frozenset({"a1", "a2"}))),
    (Scope("acme"), Filters(agents=frozenset())),
    (Scope("zeta"), Filters()),
]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_database_counts_the_funnel_as_python_does(sql_store: Store, seed: int) -> None:
    _history(sql_store, seed)
    checked = 0
    for scope, flt in CASES:
        for goals, window in (((), 30.0), (GOALS, 1.0), (["sms.received"], 30.0)):
            rows = load(sql_store, scope, "wf", flt, goals=goals, window_days=window)
            counted = compute(sql_store, scope, "wf", flt, goals=goals, window_days=window)
            assert report(counted) == report(rows), (scope, flt, goals)
            keys = [
                *rows.sets,
                (1, "hello", "nothing"),
                (0, "", "current"),
                (3, "hello", "entered"),
            ]
            for key in keys:
                everyone = drill(rows, key, None, 10_000)
                assert drill(counted, key, None, 10_000) == everyone, key
                page, after = drill(counted, key, None, 2)
                assert (page, after) == drill(rows, key, None, 2), key
                if after is not None:
                    assert drill(counted, key, after, 3) == drill(rows, key, after, 3), key
                checked += 1
    assert checked > 500


@pytest.mark.parametrize("seed", [1, 2])
def test_the_database_counts_the_cohort_grid_as_python_does(sql_store: Store, seed: int) -> None:
    _history(sql_store, seed)
    cells = 0
    for scope, flt in CASES:
        for period, weeks, by_source in (
            ("week", 12, False),
            ("month", 4, True),
            ("week", 1, True),
        ):
            got = cohorts(sql_store, scope, "wf", flt, NOW, goals=GOALS, period=period,
                          weeks=weeks, by_source=by_source)  # fmt: skip
            want = _reference_grid(sql_store, scope, flt, GOALS, period, weeks, by_source)
            assert got["rows"] == want, (scope, flt, period, by_source)
            cells += sum(1 for r in want for c in r["cells"] if c and c["reached"])
    assert cells > 20
    assert dt.datetime.fromtimestamp(START, dt.UTC).weekday() == 0


def test_the_cohort_grid_is_the_same_counted_by_cuts_or_grouped(
    sql_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole workflow's grid is counted between cuts of the entry time; the same grid
    grouped per run (as a chunked or owned selection is) says the same, with branch runs of
    a parallel node (which did not enter the workflow) among the runs."""
    _history(sql_store, 3)
    parallel = _workflow("v3")
    parallel["nodes"].append({"id": "fork", "kind": "parallel"})
    sql_store.publish_workflow("wf", "WF", parallel, START, tenant_id="acme")
    branch_runs = [
        (900 + i, "wf", 3, "c01", "hello", "active", t0, t0, None, None,
         f'{{"_branch": {{"parent": 1, "branch": "b{i}"}}}}')
        for i, t0 in enumerate([START + DAY, START + 3 * WEEK, NOW - 2 * WEEK])
    ]  # fmt: skip
    insert_rows(sql_store, "runs", [*COLUMNS["runs"], "context"], branch_runs)
    insert_rows(sql_store, "events", COLUMNS["events"],
            [("appointment.booked", "c01", "{}", f"b{i}", t0 + 60, t0, t0)
             for i, (*_, t0, _t, _e, _r, _c) in enumerate(branch_runs)])  # fmt: skip
    grids = []
    for most_days in (20_000, -1):
        monkeypatch.setattr("leadflow.store.funnel_sql._MAX_DAYS", most_days)
        for scope, flt in CASES[:4]:
            got = cohorts(sql_store, scope, "wf", flt, NOW, goals=GOALS, weeks=12)
            assert got["rows"] == _reference_grid(sql_store, scope, flt, GOALS, "week", 12, False)
            grids.append(got)
    assert grids[:4] == grids[4:]
    assert any(r.parent_run_id for r in sql_store.list_runs(RunFilter(workflow_key="wf")))


def test_a_days_first_instant_is_exact() -> None:
    for day in [1, 2, 7, 365, 19_000, *range(20_450, 20_700), 2_000_000]:
        t = day_start(day)
        assert math.floor(t / DAY) == day
        assert math.floor(math.nextafter(t, -math.inf) / DAY) == day - 1
