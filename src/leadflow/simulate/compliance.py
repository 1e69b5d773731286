"""The compliance simulation: leads all over the US, four drips, random STOPs and replies.

:func:`run_compliance` builds a seeded scenario on the real runtime (a store from the database
URL, the virtual clock, the sandbox providers) and runs it until a target number of messages has
left: leads from :mod:`leadflow.simulate.compliance_people` arrive in waves, at random times of
day, and enter text / e-mail / live-call drips (:data:`WORKFLOWS`: with and without
``pause_on_reply``, different priorities, one with a weekday send window, one fast enough to meet
the Florida/Oklahoma cap and the message budget).
:mod:`~leadflow.simulate.compliance_reactions` makes leads answer delivered messages on the
virtual clock: ordinary replies, opt-out texts (carrier words and plain English), START after
some of them, HELP, e-mail unsubscribes and replies; each text carries the scenario's
``sim_intent`` so the independent check (:mod:`leadflow.simulate.compliance_check`) knows what it
meant without asking the engine. Every dispatch decision is counted by reason
(:class:`CountingPolicy`).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadflow.clock import VirtualClock
from leadflow.engine.ports import Decision, DispatchPolicy
from leadflow.engine.workflows import publish
from leadflow.model.records import Contact, ContactPatch, Message, NewEvent
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.simulate.compliance_check import ComplianceReport, check
from leadflow.simulate.compliance_history import UNSUBSCRIBE_TYPE, history_from_store
from leadflow.simulate.compliance_people import compliance_contacts
from leadflow.simulate.compliance_reactions import ComplianceReactions
from leadflow.simulate.simulation import Simulation
from leadflow.store.factory import open_store

DAY = 86400.0
# A Monday shortly before the US moves its clocks forward (9 March 2031): local hours shift
# during the run.
START = datetime(2031, 3, 3, 5, 0, tzinfo=UTC).timestamp()
BUDGET_PER_DAY = 6
ARRIVE_DAYS = 4.0  # each wave of leads arrives over this many days
DRAIN_DAYS = 9.0  # then the drips run this much longer (the longest lasts about a week)
HOT_SHARE = 0.35  # leads that also get the call-first drip
FIRST_WAVE_SENDS_PER_LEAD = 14.0  # sizing guess before anything is measured


def _chain(key: str, trigger: str, settings: dict[str, Any], steps: list[str]) -> dict[str, Any]:
    """A linear workflow from short step names: sms, email, call, or a wait like ``2h``."""
    nodes: list[dict[str, Any]] = []
    for i, step in enumerate(steps):
        node: dict[str, Any] = {"id": f"n{i}"}
        if step == "sms":
            node |= {"kind": "send_sms", "body": "Hi {{ contact.first_name }}, new homes for you."}
        elif step == "email":
            node |= {"kind": "send_email", "subject": "Homes near you", "body": "New listings."}
        elif step == "call":
            node |= {"kind": "voice_call", "mode": "live", "say": "Connecting you to your agent."}
        else:
            node |= {"kind": "wait", "duration": step}
        if i + 1 < len(steps):
            node["next"] = f"n{i + 1}"
        nodes.append(node)
    return {
        "key": key,
        "name": key.replace("-", " ").title(),
        "triggers": [{"type": "event", "event": trigger}],
        "settings": settings,
        "start": "n0",
        "nodes": nodes,
    }


WORKFLOWS = (
    _chain(
        "cmp-welcome",
        "lead.created",
        {"pause_on_reply": True, "priority": 5},
        ["sms", "20m", "email", "1d", "call", "2h", "sms", "2d", "email", "1d", "sms", "3d", "sms"],
    ),
    _chain(
        "cmp-nurture",
        "lead.created",
        {
            "pause_on_reply": False,
            "priority": 1,
            "send_window": {
                "start": "09:00",
                "end": "17:00",
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            },
        },
        ["email", "30m", "sms", "1d", "email", "6h", "sms", "2d", "email"],
    ),
    _chain(
        "cmp-hot",
        "lead.hot",
        {"pause_on_reply": True, "priority": 10},
        ["call", "5m", "sms", "15m", "sms", "1h", "call", "4h", "sms", "1d", "sms"],
    ),
    _chain(
        "cmp-alerts",
        "lead.created",
        {"pause_on_reply": False, "priority": 0},
        ["sms", "10m", "sms", "10m", "email", "10m", "sms", "1h", "sms"],
    ),
)


@dataclass
class CountingPolicy:
    """A dispatch policy that counts every decision of the one it wraps, by action and reason."""

    inner: DispatchPolicy
    decisions: Counter[str] = field(default_factory=Counter)

    def check(self, *args: Any, **kwargs: Any) -> Decision:
        """The wrapped policy's :meth:`~leadflow.engine.ports.DispatchPolicy.check`, counted."""
        decision = self.inner.check(*args, **kwargs)
        if decision.action != "send":
            self.decisions[f"{decision.action}:{decision.reason}"] += 1
        return decision

    def capped(self, contact: Contact) -> bool:
        return self.inner.capped(contact)


class ComplianceSimulation(Simulation):
    """A simulation that counts what left and applies e-mail unsubscribes as they happen."""

    def __init__(self, runtime: Runtime, reactions: ComplianceReactions) -> None:
        super().__init__(runtime, reactions)
        self.sent = 0

    def delivered(self, message: Message, now: float) -> None:
        self.sent += 1
        super().delivered(message, now)

    def _inject(self, now: float) -> int:
        unsubscribed = [
            e.contact_id
            for at, _, e in self._queue
            if at <= now and e.type == UNSUBSCRIBE_TYPE and e.contact_id
        ]
        if unsubscribed:  # what the one-click unsubscribe route does, at the click's moment
            patches = [ContactPatch(cid, consent={"email": "opted_out"}) for cid in unsubscribed]
            self.runtime.store.apply_contact_patches(patches, now)
        return super()._inject(now)


@dataclass
class ComplianceRun:
    report: ComplianceReport
    contacts: int
    sent: int
    waves: int
    virtual_days: float
    wall_s: float
    deferred: Counter[str]
    suppressed_at_dispatch: Counter[str]
    runs_by_status: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        checked = self.report.as_dict()
        return {
            "sends": self.report.messages_left,
            "contacts": self.contacts,
            "waves": self.waves,
            "violations": checked.pop("violations"),
            "deferrals_by_reason": dict(sorted(self.deferred.items())),
            "suppressions_by_reason": checked.pop("suppressed_by_reason"),
            "wall_s": round(self.wall_s, 1),
            "virtual_days": round(self.virtual_days, 2),
            "sends_per_s": round(self.report.messages_left / self.wall_s, 1) if self.wall_s else 0,
            "runs_by_status": dict(sorted(self.runs_by_status.items())),
            **checked,
        }


def compliance_runtime(url: str, *, seed: int, start: float = START) -> Runtime:
    """The real runtime on the database at ``url`` (schema brought up to date), a virtual
    clock at ``start`` and the scenario's message budget."""
    store = open_store(url, check_schema=False)
    store.upgrade()
    settings = Settings(db=url, budget_per_day=BUDGET_PER_DAY)
    return build_runtime(settings, store=store, clock=VirtualClock(start), seed=seed)


def _arrive(sim: Simulation, people: list[Contact], rng: random.Random) -> None:
    """Store the leads; each arrives (``lead.created``) at a random moment of the next
    ARRIVE_DAYS, more often by day (US Eastern) than by night; HOT_SHARE of them also raise
    ``lead.hot`` two minutes later."""
    now = sim.clock.now()
    sim.runtime.store.upsert_contacts(people, now)
    for person in people:
        sim.contacts[person.id] = person
        hour = rng.choice([rng.uniform(0, 24), rng.gauss(17, 4)]) % 24
        at = now + int(rng.random() * ARRIVE_DAYS) * DAY + hour * 3600
        data = {"source": "simulation"}
        sim.schedule(NewEvent("lead.created", person.id, data, f"sim:created:{person.id}", at))
        if rng.random() < HOT_SHARE:
            key = f"sim:hot:{person.id}"
            sim.schedule(NewEvent("lead.hot", person.id, dict(data), key, at + 120.0))


def run_compliance(runtime: Runtime, *, sends: int, seed: int) -> ComplianceRun:
    """Run the scenario on ``runtime`` (virtual clock, fresh store) until at least ``sends``
    messages have left, then check the whole history."""
    if not isinstance(runtime.clock, VirtualClock):
        raise TypeError("the compliance simulation needs a VirtualClock")
    started = time.perf_counter()
    start = runtime.clock.now()
    counting = CountingPolicy(runtime.policy)
    runtime.policy = counting
    for definition in WORKFLOWS:
        publish(runtime.store, runtime.engine.catalog, definition, start)
    sim = ComplianceSimulation(runtime, ComplianceReactions(seed))
    used: set[str] = set()
    total = waves = 0
    while sim.sent < sends:
        per_lead = sim.sent / total if total and sim.sent else FIRST_WAVE_SENDS_PER_LEAD
        wave = max(20, math.ceil((sends - sim.sent) / per_lead * 1.05))
        now = runtime.clock.now()
        people = compliance_contacts(wave, seed=seed, now=now, start=total + 1, used=used)
        _arrive(sim, people, random.Random(f"arrivals:{seed}:{waves}"))
        total += wave
        waves += 1
        sim.advance(ARRIVE_DAYS + DRAIN_DAYS)
    report = check(history_from_store(runtime.store, runtime.settings.budget_per_day))
    deferred: Counter[str] = Counter()
    since = 0
    while steps := runtime.store.all_steps(limit=10_000, since_id=since):
        since = steps[-1].id or since
        for s in steps:
            if s.outcome.startswith("deferred"):  # a send node waiting for its window
                deferred["node:" + s.outcome.split(":", 1)[-1]] += 1
    at_dispatch: Counter[str] = Counter()
    for name, count in counting.decisions.items():
        action, _, reason = name.partition(":")
        target = deferred if action == "defer" else at_dispatch
        target[("dispatch:" + reason) if action == "defer" else reason.split(":", 1)[0]] += count
    return ComplianceRun(
        report=report,
        contacts=total,
        sent=sim.sent,
        waves=waves,
        virtual_days=(runtime.clock.now() - start) / DAY,
        wall_s=time.perf_counter() - started,
        deferred=deferred,
        suppressed_at_dispatch=at_dispatch,
        runs_by_status=runtime.store.count_runs(),
    )
