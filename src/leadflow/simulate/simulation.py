"""Simulating workflows over virtual time with synthetic leads and an engagement model.

The same engine code that runs production runs here; only the clock is virtual and the sandbox
provider is wrapped so that each delivered message may, through the engagement model, produce
future replies, opens and clicks. Nothing else ever invents engagement.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from leadflow.clock import VirtualClock
from leadflow.engine.ports import Provider, SendResult
from leadflow.engine.workflows import enroll
from leadflow.model.records import Contact, Message, MessageFilter, NewEvent, NodeCount, Scope
from leadflow.runtime import Runtime
from leadflow.simulate.engagement import EngagementModel

DAY = 86400.0


class EngagedProvider:
    """Wraps a provider: every first delivery is shown to the engagement model."""

    def __init__(self, inner: Provider, sim: Simulation) -> None:
        self.inner = inner
        self.sim = sim
        self.name = f"simulated-{inner.name}"

    def send(self, message: Message, now: float) -> SendResult:
        result = self.inner.send(message, now)
        if not result.duplicate and not message.payload.get("agent_notice"):  # not the lead
            self.sim.delivered(message, now)
        return result

    def lookup(self, idempotency_key: str) -> SendResult | None:
        return self.inner.lookup(idempotency_key)


@dataclass
class SimulationReport:
    start: float
    end: float
    leads: int
    node_counts: list[NodeCount]
    runs_by_status: dict[str, int]
    messages_by_status: dict[str, int]
    deferred: int
    engagement_events: int
    ticks: int
    extra: dict[str, int] = field(default_factory=dict)
    # "<node>: <error>" -> how many steps failed for good that way (a template over a limit,
    # a refused start_workflow...)
    failures: dict[str, int] = field(default_factory=dict)
    # why messages were held back for good (a message's suppressed_reason) -> how many
    suppressed: dict[str, int] = field(default_factory=dict)


class Simulation:
    def __init__(self, runtime: Runtime, engagement: EngagementModel) -> None:
        if not isinstance(runtime.clock, VirtualClock):
            raise TypeError("a simulation needs a VirtualClock")
        self.runtime = runtime
        self.clock: VirtualClock = runtime.clock
        self.engagement = engagement
        self.contacts: dict[str, Contact] = {}
        self._queue: list[tuple[float, int, NewEvent]] = []
        self._counter = itertools.count()
        self.engagement_events = 0
        self.ticks = 0
        self.started = self.clock.now()
        for channel, provider in list(runtime.providers.items()):
            if channel in ("sms", "email", "voice"):
                runtime.providers[channel] = EngagedProvider(provider, self)

    # ------------------------------------------------------------------ inputs
    def add_leads(
        self,
        contacts: Sequence[Contact],
        *,
        arrive_over_days: float,
        seed: int,
        event_type: str = "lead.created",
        enroll_in: str | None = None,
    ) -> None:
        """Store the contacts and schedule one ``event_type`` per lead at a random moment (more
        often by day than by night) within ``arrive_over_days``; with ``enroll_in``, each lead is
        also enrolled in that workflow when it arrives (for workflows without an event
        trigger)."""
        now = self.clock.now()
        self.runtime.store.upsert_contacts(contacts, now)
        rng = random.Random(seed)
        for contact in contacts:
            self.contacts[contact.id] = contact
            day = rng.random() * arrive_over_days
            hour = rng.choice([rng.uniform(0, 24), rng.gauss(13, 3.5)]) % 24
            at = now + int(day) * DAY + hour * 3600
            self.schedule(
                NewEvent(
                    event_type,
                    contact.id,
                    {"source": "simulation", "enroll_in": enroll_in},
                    f"sim:{event_type}:{contact.id}",
                    at,
                )
            )

    def schedule(self, event: NewEvent) -> None:
        heapq.heappush(self._queue, (event.occurred_at, next(self._counter), event))

    def delivered(self, message: Message, now: float) -> None:
        contact = self.contacts.get(message.contact_id or "")
        if contact is None:
            return
        for event in self.engagement.on_delivered(message, contact, now):
            self.engagement_events += 1
            self.schedule(event)

    # ------------------------------------------------------------------ the loop
    def _inject(self, now: float) -> int:
        due: list[NewEvent] = []
        while self._queue and self._queue[0][0] <= now:
            due.append(heapq.heappop(self._queue)[2])
        if due:
            self.runtime.store.append_events(due, now)
            for event in due:
                key = event.data.get("enroll_in")
                if key and event.contact_id:
                    enroll(
                        self.runtime.store,
                        self.runtime.engine.catalog,
                        str(key),
                        now,
                        contact_ids=[event.contact_id],
                    )
        return len(due)

    def _next(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def advance(self, days: float) -> None:
        """Simulate ``days`` more virtual days."""
        until = self.clock.now() + days * DAY
        worker = self.runtime.worker("simulation")
        stats = worker.run(
            virtual=True, until=until, before_tick=self._inject, extra_due=self._next
        )
        self.ticks += stats.ticks

    def run(self, days: float) -> SimulationReport:
        """Simulate ``days`` virtual days, then report on everything simulated so far."""
        start = self.clock.now()
        self.advance(days)
        report = self.report()
        report.start = start
        return report

    def report(self) -> SimulationReport:
        """Per-node counts, runs and messages by status, deferred sends: a full read."""
        store = self.runtime.store
        counts: list[NodeCount] = []
        for wf in store.list_workflows():
            order = {n["id"]: i for i, n in enumerate(wf.definition["nodes"])}
            found = store.node_counts(wf.key, Scope(wf.tenant_id))
            counts += sorted(found, key=lambda c: (c.version, order.get(c.node, len(order))))
        messages: dict[str, int] = {}
        suppressed: dict[str, int] = {}
        offset = 0
        while True:
            page = store.list_messages(MessageFilter(limit=5000, offset=offset))
            if not page:
                break
            offset += len(page)
            for msg in page:
                messages[msg.status] = messages.get(msg.status, 0) + 1
                if msg.status == "suppressed":
                    why = msg.suppressed_reason or "unknown"
                    suppressed[why] = suppressed.get(why, 0) + 1
        deferred = 0
        failures: dict[str, int] = {}
        since = 0
        while True:
            steps = store.all_steps(limit=10_000, since_id=since)
            if not steps:
                break
            since = steps[-1].id or since
            deferred += sum(1 for s in steps if s.outcome.startswith("deferred"))
            for s in steps:
                if s.outcome in ("failed", "on_error") and s.error:
                    reason = f"{s.node}: {s.error}"[:300]
                    failures[reason] = failures.get(reason, 0) + 1
        return SimulationReport(
            start=self.started,
            end=self.clock.now(),
            leads=len(self.contacts),
            node_counts=counts,
            runs_by_status=store.count_runs(),
            messages_by_status=messages,
            deferred=deferred,
            engagement_events=self.engagement_events,
            ticks=self.ticks,
            failures=failures,
            suppressed=suppressed,
        )
