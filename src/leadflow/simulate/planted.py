"""A split test with a planted effect, simulated end to end: the ground truth the insights report
is checked against (tests and ``bench/insights_truth.py``).

The workflow :data:`SPLIT_WORKFLOW` sends each new lead down one of two arms of split ``s``
(50/50, by the engine's own split): arm ``a`` texts from node ``hello_a``, arm ``b`` the same
text from node ``hello_b``; then it waits up to three days for a reply and exits (``replied`` or
``quiet``). :func:`simulate_split` runs it over synthetic leads with the engagement model's
``reply_lift`` on ``hello_b``: ``lift=2.0`` plants "arm b gets twice the replies", ``lift=1.0``
is an A/A test (no effect anywhere: arms, nodes and lead sources are all alike).
"""

from __future__ import annotations

from typing import Any

from leadflow.clock import VirtualClock
from leadflow.engine.workflows import publish
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.simulate.engagement import EngagementModel
from leadflow.simulate.leads import synthetic_contacts
from leadflow.simulate.simulation import Simulation
from leadflow.store.contract import Store

START = 1_767_571_200.0  # Monday 2026-01-05 00:00 UTC
WORKFLOW_KEY = "split_test"
LIFTED_NODE = "hello_b"
TEXT = "Hi {{ contact.first_name }}"
SPLIT_WORKFLOW: dict[str, Any] = {
    "key": WORKFLOW_KEY,
    "name": "Split test",
    "triggers": [{"type": "event", "event": "lead.created"}],
    "settings": {"reentry": {"policy": "never"}},
    "start": "s",
    "nodes": [
        {
            "id": "s",
            "kind": "split",
            "arms": [
                {"name": "a", "weight": 50, "next": "hello_a"},
                {"name": "b", "weight": 50, "next": "hello_b"},
            ],
        },
        {"id": "hello_a", "kind": "send_sms", "body": TEXT, "next": "wait"},
        {"id": "hello_b", "kind": "send_sms", "body": TEXT, "next": "wait"},
        {
            "id": "wait",
            "kind": "wait_for_event",
            "event": "sms.received",
            "timeout": "3d",
            "on_event": "replied",
            "on_timeout": "quiet",
        },
        {"id": "replied", "kind": "exit", "reason": "replied"},
        {"id": "quiet", "kind": "exit", "reason": "quiet"},
    ],
}


def simulate_split(
    store: Store,
    seed: int,
    *,
    leads: int = 200,
    lift: float = 2.0,
    reply_rate: float = 0.25,
    arrive_over_days: float = 2.0,
    days: float = 6.0,
) -> Simulation:
    """Run :data:`SPLIT_WORKFLOW` on ``store`` (upgraded here) for ``leads`` synthetic leads of
    ``seed`` arriving over ``arrive_over_days``, ``days`` virtual days in all, with node
    ``hello_b``'s replies ``lift`` times as likely; the simulation, for its ledger."""
    store.upgrade()
    clock = VirtualClock(START)
    rt = build_runtime(Settings(db=store.url), store=store, clock=clock, seed=seed)
    publish(rt.store, rt.engine.catalog, SPLIT_WORKFLOW, clock.now(), rt.engine.registry)
    model = EngagementModel(seed, reply_rate=reply_rate, reply_lift={LIFTED_NODE: lift})
    sim = Simulation(rt, model)
    contacts = synthetic_contacts(leads, seed=seed, now=clock.now())
    sim.add_leads(contacts, arrive_over_days=arrive_over_days, seed=seed)
    sim.advance(days)
    return sim


__all__ = ["LIFTED_NODE", "SPLIT_WORKFLOW", "START", "WORKFLOW_KEY", "simulate_split"]
