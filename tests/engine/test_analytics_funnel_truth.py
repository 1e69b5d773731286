"""The funnel against what a simulation did, on every backend: each number equals the count the
simulator itself recorded (deliveries it saw, opens, clicks and replies it scheduled before the
end), the count of runs whose own step history passes the node, and the share of runs taking
each wait_for_event outcome and branch case; drill-down lists exactly the contacts behind."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from leadflow.analytics.cohorts import cohort_of, cohorts
from leadflow.analytics.filters import Filters
from leadflow.analytics.funnel import compute, drill, metric_key, report
from leadflow.clock import VirtualClock
from leadflow.engine.workflows import publish
from leadflow.errors import NotFound
from leadflow.model.records import Contact, Message, NewEvent, RunFilter, Scope
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.simulate.engagement import EngagementModel
from leadflow.simulate.leads import INTERESTS, synthetic_contacts
from leadflow.simulate.simulation import Simulation
from leadflow.store import Store

START = 1767571200.0
TAG = INTERESTS[0]
WORKFLOW: dict[str, Any] = {
    "key": "nurture",
    "name": "Nurture",
    "triggers": [{"type": "event", "event": "lead.created"}],
    "settings": {"reentry": {"policy": "never"}},
    "start": "hello",
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hi {{ contact.first_name }}", "next": "wait"},
        {
            "id": "wait",
            "kind": "wait_for_event",
            "event": "sms.received",
            "timeout": "1d",
            "on_event": "happy",
            "on_timeout": "mail",
        },
        {
            "id": "mail",
            "kind": "send_email",
            "subject": "Homes",
            "body": "See http://x.test/a",
            "next": "which",
        },
        {
            "id": "which",
            "kind": "branch",
            "cases": [
                {"when": {"field": "contact.state", "op": "eq", "value": "TX"}, "next": "texan"}
            ],
            "default": "other",
        },
        {"id": "texan", "kind": "exit", "reason": "texan"},
        {"id": "other", "kind": "exit", "reason": "other"},
        {"id": "happy", "kind": "goal", "goal": "replied"},
    ],
}


class Recorder(EngagementModel):
    """The simulator's own ledger: every delivery it was shown and each engagement event it
    scheduled, with the message it answers."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.delivered: dict[int, Message] = {}
        self.answers: list[tuple[Message, NewEvent]] = []

    def on_delivered(
        self, message: Message, contact: Contact, delivered_at: float
    ) -> list[NewEvent]:
        events = super().on_delivered(message, contact, delivered_at)
        assert message.id is not None
        self.delivered[message.id] = message
        self.answers += [(message, e) for e in events]
        return events


def _simulate(store: Store, leads: int = 60, days: float = 6.0) -> tuple[Simulation, Recorder]:
    store.upgrade()
    clock = VirtualClock(START)
    rt = build_runtime(Settings(db=store.url), store=store, clock=clock, seed=7)
    publish(rt.store, rt.engine.catalog, WORKFLOW, clock.now(), rt.engine.registry)
    recorder = Recorder(7)
    sim = Simulation(rt, recorder)
    sim.add_leads(synthetic_contacts(leads, seed=7, now=clock.now()), arrive_over_days=3, seed=7)
    sim.advance(days)
    return sim, recorder


def test_the_funnel_equals_what_the_simulation_did(store: Store) -> None:
    sim, rec = _simulate(store)
    end = sim.clock.now()
    scope = Scope("default")
    data = compute(store, scope, "nurture", Filters())
    out = report(data)
    nodes = {n["node"]: n for n in out["nodes"]}
    runs = store.list_runs(RunFilter(workflow_key="nurture", limit=10_000))
    assert out["entered"] == len(runs) == 60

    # entered/completed from each run's own step history
    passed: dict[str, set[int]] = defaultdict(set)
    for run in runs:
        for step in store.run_steps(run.id):
            if step.kind != "goal":
                passed[step.node].add(run.id)
    for node in ("hello", "wait", "mail", "which", "texan", "other"):
        assert nodes[node]["entered"] == len(passed[node]), node

    # deliveries, opens, clicks, replies: the simulator's own ledger
    by_node: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for msg in rec.delivered.values():
        assert msg.node and msg.run_id
        by_node[msg.node]["delivered"].add(msg.run_id)
    kinds = {
        "email.opened": "opened",
        "email.clicked": "clicked",
        "sms.received": "replied",
        "email.received": "replied",
    }
    for msg, event in rec.answers:
        if event.occurred_at <= end:
            assert msg.node and msg.run_id
            by_node[msg.node][kinds[event.type]].add(msg.run_id)
    for node in ("hello", "mail"):
        for metric in ("delivered", "opened", "clicked"):
            assert nodes[node][metric] == len(by_node[node][metric]), (node, metric)
        assert nodes[node]["sent"] == nodes[node]["delivered"] == nodes[node]["entered"]
    assert nodes["hello"]["replied"] == len(by_node["hello"]["replied"]) > 0
    assert nodes["mail"]["opened"] > 0

    # wait_for_event: replied in time -> event; else timeout (and on to the e-mail)
    outcomes = nodes["wait"]["outcomes"]
    assert outcomes["event"]["runs"] + outcomes["timeout"]["runs"] == nodes["wait"]["completed"]
    assert outcomes["timeout"]["runs"] == nodes["mail"]["entered"]
    assert outcomes["event"]["runs"] == out["exited"]["replied"] > 0
    assert round(outcomes["event"]["share"] + outcomes["timeout"]["share"], 3) == 1.0
    # branch: the case is the Texans, exactly
    texans = {c.id for c in sim.contacts.values() if c.state == "TX"}
    ids, _ = drill(data, metric_key(1, "texan", "entered"), None, 1000)
    which = nodes["which"]["outcomes"]
    assert set(ids) <= texans and len(ids) == which.get("case:0", {"runs": 0})["runs"]
    assert nodes["texan"]["exited"] == {"texan": len(ids)}
    assert (
        out["exited"].get("texan", 0) + out["exited"].get("other", 0) == nodes["which"]["entered"]
    )

    # goal conversion: the runs whose contact replied (the goal event) within the window
    data = compute(store, scope, "nurture", Filters(), goals=["sms.received"], window_days=30)
    goal = report(data)["goal"]
    repliers = {
        e.contact_id for m, e in rec.answers if e.type == "sms.received" and e.occurred_at <= end
    }
    assert goal["converted"] == len(repliers)
    assert (
        goal["hours_to_goal"]["q1"]
        <= goal["hours_to_goal"]["median"]
        <= goal["hours_to_goal"]["q3"]
    )
    assert sum(b["runs"] for b in goal["histogram"]) == goal["converted"]
    page, nxt = drill(data, metric_key(None, None, "goal"), None, 5)
    rest, _ = drill(data, metric_key(None, None, "goal"), nxt, 1000)
    assert set(page) | set(rest) == repliers and nxt == page[-1]


def test_the_cohort_grid_equals_the_simulators_replies(store: Store) -> None:
    sim, rec = _simulate(store, leads=40, days=16)
    end = sim.clock.now()
    runs = {r.contact_id: r for r in store.list_runs(RunFilter(workflow_key="nurture"))}
    first: dict[str, float] = {}
    for _, e in rec.answers:
        if e.type == "sms.received" and e.occurred_at <= end and e.contact_id:
            first[e.contact_id] = min(e.occurred_at, first.get(e.contact_id, e.occurred_at))
    grid = cohorts(store, Scope("default"), "nurture", Filters(), end, goals=["sms.received"],
                   weeks=3)  # fmt: skip
    assert sum(r["size"] for r in grid["rows"]) == len(runs) == 40
    week = 7 * 86400.0
    for row in grid["rows"]:
        members = [r for r in runs.values() if cohort_of(r.created_at, "week") == row["cohort"]]
        for k, cell in enumerate(row["cells"]):
            lived = [r for r in members if r.created_at + (k + 1) * week <= end]
            if not lived:
                assert cell is None
                continue
            hit = [r for r in lived if r.contact_id in first
                   and first[r.contact_id] - r.created_at <= (k + 1) * week]  # fmt: skip
            assert (cell["runs"], cell["reached"]) == (len(lived), len(hit))
    assert any(c and c["reached"] for r in grid["rows"] for c in r["cells"])


def test_filters_and_scope_narrow_the_runs(store: Store) -> None:
    sim, _ = _simulate(store, leads=30, days=4)
    everyone = report(compute(store, Scope("default"), "nurture", Filters()))["entered"]
    owners = sorted({c.owner for c in sim.contacts.values() if c.owner})
    some = frozenset(owners[:1])
    mine = {c.id for c in sim.contacts.values() if c.owner in some}
    by_agent = compute(store, Scope("default"), "nurture", Filters(agents=some))
    assert 0 < report(by_agent)["entered"] == len(mine) < everyone == 30
    scoped = compute(store, Scope("default", some), "nurture", Filters())
    assert report(scoped)["entered"] == len(mine)
    ids, _ = drill(scoped, metric_key(1, "hello", "sent"), None, 100)
    assert set(ids) == mine
    tagged = {c.id for c in sim.contacts.values() if TAG in c.tags}
    assert report(compute(store, Scope("default"), "nurture", Filters(tag=TAG)))["entered"] == len(
        tagged
    )
    late = compute(store, Scope("default"), "nurture", Filters(since=START + 86400))
    assert 0 < report(late)["entered"] < everyone
    with pytest.raises(NotFound):
        compute(store, Scope("elsewhere"), "nurture", Filters())
