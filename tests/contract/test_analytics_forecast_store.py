"""Weekly forecasts over a store on every backend: the history is exactly the planted weekly
counts of lead.created events, appointments and deals of the scope, and another tenant's or
agent's data is not in it."""

from __future__ import annotations

import random

from leadflow.analytics.forecast import WEEK, forecasts, week_start
from leadflow.model.deals import Deal
from leadflow.model.records import Contact, NewEvent, Scope
from leadflow.store import Store

NOW = week_start(1_780_000_000.0) + 3 * 86400.0  # a Thursday
WEEKS = 20


def test_the_history_is_the_planted_weekly_counts(store: Store) -> None:
    rng = random.Random(5)
    start = week_start(NOW) - WEEKS * WEEK
    planted = [rng.randint(0, 6) for _ in range(WEEKS)]
    contacts, events, deals = [], [], []
    for w, n in enumerate(planted):
        for i in range(n):
            at = start + w * WEEK + rng.uniform(0, WEEK - 1)
            cid = f"c{w}-{i}"
            owner = "ann" if i % 2 == 0 else "bob"
            contacts.append(Contact(cid, owner=owner, tenant_id="acme", created_at=at))
            events.append(NewEvent("lead.created", cid, {}, f"lc:{cid}", at))
            if i == 0:
                events.append(NewEvent("appointment.booked", cid, {}, f"ab:{cid}", at + 60))
                deals.append(Deal("acme", f"D{w}", "buy", 100, "2026-01-01", at + 120,
                                  contact_id=cid, agent_key=owner))  # fmt: skip
    recent = start + (WEEKS - 5) * WEEK + 60
    contacts.append(Contact("z1", tenant_id="zeta", created_at=recent))
    events.append(NewEvent("lead.created", "z1", {}, "lc:z1", recent))
    store.upsert_contacts(contacts, NOW)
    store.append_events(events, NOW)
    store.save_deals(deals, NOW)
    out = forecasts(store, Scope("acme"), NOW, horizon=4, holdout=4)
    leads = out["series"]["leads"]
    first = next(i for i, n in enumerate(planted) if n)
    assert leads["status"] == "ok" and leads["history"] == planted[first:]
    booked = [1 if n else 0 for n in planted[first:]]
    assert out["series"]["appointments"]["history"] == booked
    assert out["series"]["deals"]["history"] == booked
    assert len(leads["forecast"]) == 4 and leads["backtest"]["actual"] == planted[-4:]
    ann = forecasts(store, Scope("acme", frozenset({"ann"})), NOW)["series"]["leads"]
    assert ann["history"] == [(n + 1) // 2 for n in planted[first:]]
    short = forecasts(store, Scope("zeta"), NOW)["series"]["leads"]
    assert (short["status"], short["weeks"]) == ("insufficient_history", 5)
