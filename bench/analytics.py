"""Analytics benchmark: the time of each report over a database of synthetic history.

    python bench/analytics.py [--db sqlite:///PATH | postgresql://...] [--runs 20000]
                              [--events-per-run 10] [--deals 1000] [--seed 1] [--json]

Builds, with plain bulk INSERTs (not the engine: this measures reads), one tenant with
``--runs`` leads each run once through a five-node workflow (a text, a wait, an e-mail, a
branch, an exit) over 26 weeks: each run's steps and two messages (delivered; some opened,
clicked, replied), ``--events-per-run`` events per lead (lead.created, replies, opens,
appointments, page views) and ``--deals`` closed deals. Then times, through the same functions
the API calls: the workflow's funnel, a 26-week cohort grid, attribution of every deal in all
six models, agent performance. The issue's scale (1,000,000 runs, 10,000,000 events) is
``--runs 1000000``; it needs a quiet machine and about 10 GB of disk.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from leadflow.analytics.agents import agent_rows
from leadflow.analytics.attribution import attribute
from leadflow.analytics.cohorts import cohorts
from leadflow.analytics.filters import Filters
from leadflow.analytics.funnel import compute, report
from leadflow.model.deals import Deal, DealFilter
from leadflow.model.records import Scope
from leadflow.model.tenancy import Agent, Tenant
from leadflow.store.factory import open_store
from revision import commit

WEEK = 7 * 86400.0
START = 1_767_571_200.0  # Monday 2026-01-05
WORKFLOW = {
    "key": "bench",
    "name": "Bench",
    "triggers": [{"type": "event", "event": "lead.created"}],
    "start": "hello",
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hi", "next": "wait"},
        {"id": "wait", "kind": "wait", "duration": "1d", "next": "mail"},
        {"id": "mail", "kind": "send_email", "subject": "Homes", "body": "x", "next": "which"},
        {
            "id": "which",
            "kind": "branch",
            "default": "done",
            "cases": [
                {"when": {"field": "contact.state", "op": "eq", "value": "TX"}, "next": "done"}
            ],
        },
        {"id": "done", "kind": "exit", "reason": "done"},
    ],
}
AGENTS = [f"agent{i}" for i in range(20)]


def _rows(rng: random.Random, runs: int, per_run: int) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {
        "contacts": [],
        "runs": [],
        "steps": [],
        "messages": [],
        "events": [],
    }
    for i in range(1, runs + 1):
        cid = f"c{i}"
        t0 = START + rng.uniform(0, 26 * WEEK)
        owner = AGENTS[i % len(AGENTS)]
        state = "TX" if i % 3 == 0 else "CA"
        out["contacts"].append((cid, state, owner, '{"source": "web"}', t0, t0, "acme"))
        out["runs"].append(
            (i, "bench", 1, cid, "done", "exited", t0, t0 + 86400, t0 + 86400, "done")
        )
        outcome = "case:0" if state == "TX" else "default"
        for k, (node, kind, oc) in enumerate(
            [
                ("hello", "send_sms", "queued"),
                ("wait", "wait", "waiting"),
                ("wait", "wait", "timer"),
                ("mail", "send_email", "queued"),
                ("which", "branch", outcome),
                ("done", "exit", "exit:done"),
            ]
        ):
            out["steps"].append((i, node, kind, k + 1, 1, oc, t0 + k))
        replied = t0 + 3600 if rng.random() < 0.1 else None
        opened = t0 + 90000 if rng.random() < 0.3 else None
        out["messages"].append(
            (
                i,
                cid,
                "bench",
                "hello",
                "sms",
                f"k{i}a",
                t0,
                t0,
                "delivered",
                t0,
                t0 + 5,
                None,
                None,
                replied,
            )
        )
        out["messages"].append(
            (
                i,
                cid,
                "bench",
                "mail",
                "email",
                f"k{i}b",
                t0 + 86400,
                t0,
                "delivered",
                t0 + 86400,
                t0 + 86405,
                opened,
                None,
                None,
            )
        )
        kinds = ["lead.created"] + ["page.viewed"] * (per_run - 1)
        if replied:
            kinds[1 % per_run] = "sms.received"
        if rng.random() < 0.05 and per_run > 2:
            kinds[2] = "appointment.booked"
        for j, kind in enumerate(kinds):
            out["events"].append((kind, cid, "{}", f"e{i}:{j}", t0 + j * 3600, t0, t0))
    return out


_INSERTS = {
    "contacts": "INSERT INTO contacts (id, state, owner, fields, created_at, updated_at, "
    "tenant_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "runs": "INSERT INTO runs (id, workflow_key, version, contact_id, node, status, created_at, "
    "updated_at, ended_at, exit_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "steps": "INSERT INTO steps (run_id, node, kind, step_seq, attempt, outcome, started_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)",
    "messages": "INSERT INTO messages (run_id, contact_id, workflow_key, node, channel, "
    "idempotency_key, due_at, created_at, status, sent_at, delivered_at, opened_at, clicked_at, "
    "replied_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "events": "INSERT INTO events (type, contact_id, data, dedupe_key, occurred_at, created_at, "
    "processed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
}


def build(url: str, runs: int, per_run: int, deals: int, seed: int) -> float:
    """The database; returns the seconds it took."""
    started = time.perf_counter()
    store = open_store(url, check_schema=False)
    store.upgrade()
    store.create_tenant(Tenant("acme", "Acme"), START)
    store.upsert_agents([Agent("acme", a, None) for a in AGENTS], START)
    store.publish_workflow("bench", "Bench", WORKFLOW, START, tenant_id="acme")
    rng = random.Random(seed)
    chunk = 20_000
    for first in range(0, runs, chunk):
        rows = _rows(rng, min(chunk, runs - first), per_run)
        offset = first
        with store._write() as conn:  # type: ignore[attr-defined]  # bulk load, bench only
            sql = store._dialect.sql  # type: ignore[attr-defined]
            for table, text in _INSERTS.items():
                data = rows[table]
                if offset:
                    data = [_shift(table, r, offset) for r in data]
                if hasattr(conn, "executemany"):  # sqlite3
                    conn.executemany(sql(text), data)
                else:  # psycopg: a cursor's
                    with conn.cursor() as cur:
                        cur.executemany(sql(text), data)
    closes = [
        Deal(
            "acme",
            f"D{i}",
            "buy",
            rng.randint(100_000, 900_000) * 100,
            "2026-06-01",
            START + rng.uniform(4, 30) * WEEK,
            contact_id=f"c{rng.randint(1, runs)}",
            agent_key=rng.choice(AGENTS),
            commission=rng.randint(3_000, 27_000) * 100,
        )
        for i in range(deals)
    ]
    store.save_deals(closes, START + 30 * WEEK)
    store.close()
    return time.perf_counter() - started


def _shift(table: str, row: tuple[Any, ...], offset: int) -> tuple[Any, ...]:
    """Rows of a later chunk: their ids, contacts and keys after the earlier chunks'."""
    r = list(row)
    n = lambda cid: f"c{int(cid[1:]) + offset}"  # noqa: E731
    if table == "contacts":
        r[0] = n(r[0])
    elif table == "runs":
        r[0] += offset
        r[3] = n(r[3])
    elif table == "steps":
        r[0] += offset
    elif table == "messages":
        r[0] += offset
        r[1] = n(r[1])
        r[5] = f"{r[5]}-{offset}"
    else:
        r[1] = n(r[1])
        r[3] = f"{r[3]}-{offset}"
    return tuple(r)


def timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", default=None, help="default: a SQLite file in a temporary folder")
    ap.add_argument("--runs", type=int, default=20_000)
    ap.add_argument("--events-per-run", type=int, default=10)
    ap.add_argument("--deals", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    for name in ("runs", "events_per_run", "deals"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'analytics.db'}"
        build_s = build(url, args.runs, args.events_per_run, args.deals, args.seed)
        store = open_store(url)
        scope, now = Scope("acme"), START + 30 * WEEK
        try:
            funnel_s, data = timed(lambda: report(compute(store, scope, "bench", Filters())))
            cohort_s, grid = timed(
                lambda: cohorts(
                    store, scope, "bench", Filters(), now, goals=["appointment.booked"], weeks=26
                )
            )
            deals = store.list_deals(DealFilter("acme", limit=1 << 62))

            def attribution() -> Any:
                msgs: dict[str, list[Any]] = {}
                for m in store.messages_of_contacts({d.contact_id for d in deals if d.contact_id}):
                    msgs.setdefault(m.contact_id or "", []).append(m)
                return attribute(deals, msgs)

            attribution_s, credit = timed(attribution)
            agents_s, rows = timed(lambda: agent_rows(store, scope, Filters()))
        finally:
            store.close()
    out = {
        "commit": commit(),
        "machine": platform.machine(),
        "backend": url.split(":", 1)[0],
        "runs": args.runs,
        "events": args.runs * args.events_per_run,
        "deals": args.deals,
        "build_seconds": round(build_s, 2),
        "funnel_seconds": round(funnel_s, 3),
        "cohorts_26w_seconds": round(cohort_s, 3),
        "attribution_6_models_seconds": round(attribution_s, 3),
        "agents_seconds": round(agents_s, 3),
        "funnel_entered": data["entered"],
        "cohort_rows": len(grid["rows"]),
        "credit_sums_exact": all(sum(v.values()) == credit.total for v in credit.credits.values()),
        "agents": len(rows),
    }
    out["ok"] = out["funnel_entered"] == args.runs and out["credit_sums_exact"]
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:32} {value}")
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
