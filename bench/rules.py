"""Automation rules on the engine's event stream: events per second evaluated through 50 rules
by one worker on a SQLite file.

    python bench/rules.py [--events 50000] [--rules 50] [--contacts 5000] [--json]

One tenant, ``--contacts`` leads (states, budgets, sources, tags), ``--rules`` rules spread over
twelve event types (exact types, ``lead.*`` and ``*``) with filters over the event data and the
contact (two or three conditions each), priorities, and actions of every built-in kind but
webhook and notify_agent (with the default seed about a third of the events make a firing).
``--events`` events of those types are appended, then one worker (``Worker.tick`` in a loop,
batches of 500) processes them all. Reported:

* ``rules_events_per_s``: the events the rules stage saw (the stream's and those the rules
  emitted) divided by the time spent in it alone (the observer: reading the rules, the
  contacts, the firings already made, planning, and writing the firings with their effects);
* ``rules_events_per_cpu_s``: the same per second of this process's CPU time (what the figure
  would be on a core of its own: on a shared machine the wall time includes the waits);
* ``worker_events_per_s``: events processed per second of the whole worker pass (the engine's
  own event work and the other observers included), and the same without any rule.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from leadflow.clock import VirtualClock
from leadflow.engine.ports import EventBatch
from leadflow.model.automation import RuleSpec
from leadflow.model.records import Contact, NewEvent
from leadflow.model.tenancy import Tenant
from leadflow.rules.observer import RulesObserver
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store.factory import open_store
from revision import commit

T0 = 1767571200.0
TYPES = (
    "lead.created", "lead.updated", "lead.inquiry", "property.viewed", "property.saved",
    "website.visited", "email.opened", "email.clicked", "sms.received", "open_house.visited",
    "call.incoming", "property.searched",
)  # fmt: skip
STATES = ("TX", "FL", "CA", "NY", "OK")
SOURCES = ("zillow", "realtor", "web", "referral", "open_house")


def _rule(i: int, rng: random.Random) -> RuleSpec:
    event = TYPES[i % len(TYPES)] if i % 10 else ("lead.*" if i % 20 else "*")
    leaves: list[dict[str, Any]] = [
        {"field": "event.data.source", "op": "eq", "value": rng.choice(SOURCES)},
        {"field": "contact.state", "op": "in", "value": rng.sample(STATES, 2)},
        {"field": "contact.fields.budget", "op": "gte", "value": rng.choice((3, 5, 8)) * 100000},
        {"field": "contact.tags", "op": "contains", "value": rng.choice(("buyer", "seller"))},
        {"field": "event.data.price", "op": "between", "value": [200000, 600000]},
    ]
    picked = rng.sample(leaves, rng.choice((2, 3)))
    flt: dict[str, Any] = picked[0] if len(picked) == 1 else {"all": picked}
    actions: list[dict[str, Any]] = rng.choice(
        (
            [{"kind": "add_tag", "tag": f"r{i}"}],
            [{"kind": "set_stage", "stage": "engaged"}],
            [{"kind": "update_contact", "set": {"last_rule": i}}],
            [{"kind": "emit_event", "type": "rule.noted", "data": {"rule": i}}],
            [{"kind": "assign_owner", "owner": "a1"}],
        )
    )
    return RuleSpec(f"rule {i}", event, actions, flt, rng.randint(-5, 5), stop=i % 17 == 0)


def _data(rng: random.Random, etype: str) -> dict[str, Any]:
    data: dict[str, Any] = {"source": rng.choice(SOURCES)}
    if etype.startswith("property."):
        data["price"] = rng.randrange(100000, 900000, 5000)
    return data


def build(db: str, events: int, rules: int, contacts: int, seed: int) -> None:
    from leadflow.model.tenancy import Agent
    from leadflow.tenancy import accounts

    store = open_store(db, check_schema=False)
    store.upgrade()
    rng = random.Random(seed)
    try:
        store.create_tenant(Tenant("acme", "Acme"), T0)
        accounts.add_agents(store, "acme", [Agent("acme", "a1", None, first_name="Ann")], T0)
        people = [
            Contact(
                f"c{i:06d}",
                tenant_id="acme",
                state=rng.choice(STATES),
                tags=rng.sample(["buyer", "seller", "investor"], rng.choice((0, 1, 2))),
                fields={"budget": rng.randrange(100000, 1500000, 10000)},
            )
            for i in range(contacts)
        ]
        store.upsert_contacts(people, T0)
        for i in range(rules):
            store.create_rule("acme", _rule(i, rng), True, T0)
        batch: list[NewEvent] = []
        for i in range(events):
            etype = rng.choice(TYPES)
            cid = people[rng.randrange(contacts)].id
            batch.append(NewEvent(etype, cid, _data(rng, etype), f"b{i}", T0 + i * 0.01))
            if len(batch) == 5000:
                store.append_events(batch, T0)
                batch = []
        store.append_events(batch, T0)
    finally:
        store.close()


class TimedObserver:
    """The rules observer with a stopwatch."""

    def __init__(self, inner: RulesObserver) -> None:
        self.inner = inner
        self.event_types = inner.event_types
        self.seconds = 0.0
        self.cpu = 0.0
        self.events = 0

    def observe(self, batch: EventBatch) -> None:
        started, cpu = time.perf_counter(), time.process_time()
        self.inner.observe(batch)
        self.seconds += time.perf_counter() - started
        self.cpu += time.process_time() - cpu
        self.events += len(batch.events)


def work(db: str, with_rules: bool) -> dict[str, Any]:
    rt = build_runtime(Settings(db=db), clock=VirtualClock(T0 + 86400))
    try:
        registry = rt.engine.registry
        timed: TimedObserver | None = None
        for i, observer in enumerate(registry.observers):
            if isinstance(observer, RulesObserver):
                if with_rules:
                    timed = TimedObserver(observer)
                    registry.observers[i] = timed  # type: ignore[call-overload]
                else:
                    registry.observers.pop(i)
                break
        worker = rt.worker("bench")
        pending = rt.store.pending_events_count()
        started = time.perf_counter()
        while rt.store.pending_events_count():
            worker.tick(rt.clock.now())
        wall = time.perf_counter() - started
        processed = len(rt.store.event_marks(0, 10**9))  # those appended by rules too
        out: dict[str, Any] = {"events": pending, "processed": processed}
        out["worker_s"] = round(wall, 3)
        out["worker_events_per_s"] = round(processed / wall)
        if timed is not None:
            out["rules_events"] = timed.events
            out["rules_s"] = round(timed.seconds, 3)
            out["rules_events_per_s"] = round(timed.events / timed.seconds)
            out["rules_cpu_s"] = round(timed.cpu, 3)
            out["rules_events_per_cpu_s"] = round(timed.events / timed.cpu)
            out["firings"] = len(rt.store.list_firings("acme", limit=10**7))
        return out
    finally:
        rt.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--contacts", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        with_db, without_db = f"sqlite:///{base / 'rules.db'}", f"sqlite:///{base / 'none.db'}"
        build(with_db, args.events, args.rules, args.contacts, args.seed)
        build(without_db, args.events, 0, args.contacts, args.seed)
        result = {
            "commit": commit(),
            "events": args.events,
            "rules": args.rules,
            "contacts": args.contacts,
            "with_rules": work(with_db, True),
            "without_rules": work(without_db, False),
        }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        w, n = result["with_rules"], result["without_rules"]
        print(
            f"{args.events} events through {args.rules} rules: rules stage "
            f"{w['rules_events_per_s']} events/s ({w['firings']} firings); worker "
            f"{w['worker_events_per_s']} events/s with rules, {n['worker_events_per_s']} without"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
