"""The plays at scale: every shipped play installed (defaults) in one tenant, synthetic leads
arriving over the first month, simulated over virtual days on a SQLite file.

    python bench/playbooks.py [--leads 10000] [--days 365] [--db sqlite:///PATH] [--json]

Each lead arrives as ``lead.created`` (New Lead Welcome, Lead Routing; tagged ones also get
Long-term Nurture, First-time Buyer Education, Monthly Market Update; budgets above the
threshold Luxury Buyer Experience); 10% also turn hot (``lead.score_changed``), 10% close
(``deal.closed`` with a ClosingDate), 5% sign a listing agreement. Prints the wall time,
the runs by status and the messages by channel and status.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.access import templates
from leadflow.access.scope import operator
from leadflow.clock import VirtualClock
from leadflow.model.listings import Listing
from leadflow.model.playbooks import TaskFilter
from leadflow.model.records import MessageFilter, NewEvent
from leadflow.model.tenancy import Agent, Team, Tenant
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.simulate.engagement import EngagementModel
from leadflow.simulate.leads import synthetic_contacts
from leadflow.simulate.simulation import Simulation
from leadflow.store.factory import open_store
from revision import commit

START = 1767571200.0  # Monday 2026-01-05 00:00 UTC
DAY = 86400.0
ORDER = (  # a play that starts another comes after it
    "hot-lead-acceleration", "long-term-nurture", "new-lead-welcome", "lead-routing",
    "first-time-buyer-education", "luxury-buyer-experience", "listing-preparation",
    "post-closing-care", "monthly-market-update",
)  # fmt: skip
ZIPS = ("78701", "78702", "78703", "78704")


def run(leads: int, days: float, db: str, seed: int = 3) -> dict[str, Any]:
    store = open_store(db, check_schema=False)
    store.upgrade()
    rt = build_runtime(Settings(db=db), store=store, clock=VirtualClock(START), seed=seed)
    now = START
    rt.store.create_tenant(Tenant("default", "Default Realty"), now)
    rt.store.upsert_team(Team("default", "north", "North", "agent-01"), now)
    rt.store.upsert_agents(
        [
            Agent(
                "default",
                f"agent-{i:02d}",
                "north",
                email=f"agent{i}@agents.example",
                mobile_phone=f"+1212555{i:04d}",
            )
            for i in range(1, 9)
        ],
        now,
    )
    rt.store.upsert_listings(
        [
            Listing(
                "default",
                f"L{z}-{i}",
                standard_status="Active",
                postal_code=z,
                list_price=300_000.0 + 25_000 * i,
                internet_entire_listing_display_yn=True,
            )
            for z in ZIPS
            for i in range(8)
        ],
        now,
    )
    for name in ORDER:
        templates.install(rt, operator("default"), name, {}, now, publish=True)
    rng = random.Random(seed)
    contacts = synthetic_contacts(leads, seed=seed, now=now)
    sim = Simulation(rt, EngagementModel(seed))
    for i, c in enumerate(contacts):
        c.owner = None if i % 5 == 0 else c.owner
        c.fields["PostalCode"] = ZIPS[i % len(ZIPS)]
        c.fields["budget"] = 1_500_000 if i % 10 == 0 else 450_000
        c.tags = [
            t
            for t, on in (
                ("nurture", i % 3 == 0),
                ("first-time-buyer", i % 4 == 1),
                ("market-updates", i % 3 == 2),
            )
            if on
        ]
    events = []
    for i, c in enumerate(contacts):
        at = START + rng.random() * 30 * DAY
        events.append(NewEvent("lead.created", c.id, {}, f"b:new:{c.id}", at))
        if i % 10 == 3:
            hot = at + rng.random() * 20 * DAY
            events.append(
                NewEvent("lead.score_changed", c.id, {"new_band": "hot"}, f"b:hot:{c.id}", hot)
            )
        if i % 10 == 7:
            closed = at + rng.random() * 20 * DAY
            tz = ZoneInfo(c.time_zone or "America/New_York")
            c.fields["ClosingDate"] = datetime.fromtimestamp(closed, tz).date().isoformat()
            events.append(NewEvent("deal.closed", c.id, {}, f"b:closed:{c.id}", closed))
        if i % 20 == 9:
            events.append(NewEvent("listing.agreement_signed", c.id, {}, f"b:sign:{c.id}", at))
    rt.store.upsert_contacts(contacts, now)
    sim.contacts.update({c.id: c for c in contacts})
    for e in events:
        sim.schedule(e)
    started = time.monotonic()
    sim.advance(days)
    wall = time.monotonic() - started
    messages: Counter[str] = Counter()
    after = 0
    while page := rt.store.list_messages(MessageFilter(limit=5000, after_id=after)):
        after = page[-1].id or after
        messages.update(f"{m.channel}:{m.status}" for m in page)
    tasks = len(rt.store.list_tasks(TaskFilter("default", limit=10**7)))
    out = {
        "commit": commit(),
        "leads": leads,
        "virtual_days": days,
        "wall_s": round(wall, 1),
        "runs": rt.store.count_runs(),
        "messages": dict(sorted(messages.items())),
        "messages_total": sum(messages.values()),
        "tasks": tasks,
        "failures": sim.report().failures,
    }
    rt.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--leads", type=int, default=10_000)
    p.add_argument("--days", type=float, default=365)
    p.add_argument("--db", default=None, help="sqlite:///PATH (default: a temporary file)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'plays.db'}"
        result = run(args.leads, args.days, db)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if not result["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
