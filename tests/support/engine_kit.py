"""A small kit for driving the whole engine deterministically in virtual time.

A :class:`Kit` owns one store, one :class:`~leadflow.clock.VirtualClock` and one runtime; tests
publish workflows, add contacts, emit events, then move time with :meth:`Kit.tick` (one pass at a
given moment) or :meth:`Kit.run_until` (the worker's virtual mode, which jumps the clock). Nothing
ever sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.clock import VirtualClock
from leadflow.definitions.io import load_text
from leadflow.engine.context import Go, Result, StepContext
from leadflow.engine.worker import Worker, WorkerStats
from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import (
    Contact,
    ContactPatch,
    Message,
    MessageFilter,
    NewEvent,
    Run,
    RunFilter,
    SandboxDelivery,
    Step,
    WorkflowVersion,
)
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from leadflow.store import Store

ZONE = "America/New_York"
NY = ZoneInfo(ZONE)
LA = ZoneInfo("America/Los_Angeles")
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0


# A text that falls back to e-mail when it fails, then a day's wait and a second text.
ASK = """
key: ask
name: Ask
start: a
nodes:
  - {id: a, kind: send_sms, body: "Still looking?", next: w, on_error: mail}
  - {id: w, kind: wait, duration: 1d, next: b}
  - {id: b, kind: send_sms, body: "Day two"}
  - {id: mail, kind: send_email, subject: "Hello", body: "By mail"}
"""


def at(
    year: int, month: int, day: int, hour: int = 12, minute: int = 0, tz: ZoneInfo = NY
) -> float:
    """Epoch seconds of a local wall time."""
    return datetime(year, month, day, hour, minute, tzinfo=tz).timestamp()


def local(ts: float, tz: ZoneInfo = NY) -> datetime:
    return datetime.fromtimestamp(ts, tz)


# Wednesday 12 June 2024, midday in New York: far from any DST change, inside every send window.
T0 = at(2024, 6, 12, 12, 0)


# A five-node welcome workflow (text, a day's wait, a branch on the state, a text for Texas,
# a goodbye e-mail): the rewind and funnel-summary tests walk runs through it.
WELCOME = """
key: welcome
name: Welcome
start: hello
nodes:
  - {id: hello, kind: send_sms, body: "Hi {{ contact.first_name }}", next: pause}
  - {id: pause, kind: wait, duration: 1d, next: check}
  - id: check
    kind: branch
    cases:
      - {when: {field: contact.state, op: eq, value: TX}, next: austin}
    default: bye
  - {id: austin, kind: send_sms, body: "Texas news", next: bye}
  - {id: bye, kind: send_email, subject: "Bye", body: "See you"}
"""


@dataclass
class Kit:
    store: Store
    url: str
    clock: VirtualClock
    runtime: Runtime
    worker: Worker
    _event_seq: int = 0
    _workers: list[Worker] = field(default_factory=list)

    @classmethod
    def create(cls, store: Store, url: str, *, start: float = T0, **settings: Any) -> Kit:
        clock = VirtualClock(start)
        runtime = build_runtime(Settings(db=url, **settings), store=store, clock=clock, seed=1)
        return cls(store, url, clock, runtime, runtime.worker("t"))

    # ------------------------------------------------------------------ time
    @property
    def now(self) -> float:
        return self.clock.now()

    def tick(self, moment: float | None = None, worker: Worker | None = None) -> int:
        """One worker pass at ``moment`` (default: now); the clock moves there first."""
        if moment is not None:
            self.clock.set(moment)
        return (worker or self.worker).tick(self.clock.now())

    def settle(self, moment: float | None = None, limit: int = 50) -> int:
        """Tick at one moment until nothing more is due then; return the work done."""
        total = 0
        for _ in range(limit):
            done = self.tick(moment)
            total += done
            if not done:
                return total
        raise AssertionError("the worker never settled")

    def run_until(self, moment: float) -> WorkerStats:
        """The worker's virtual mode: jump from due moment to due moment up to ``moment``."""
        return self.worker.run(virtual=True, until=moment)

    def other_worker(self, owner: str, wall: Callable[[], float] | None = None) -> Worker:
        """Another worker on the same store; ``wall`` replaces its monotonic wall clock (the
        one a virtual-clock worker uses to presume a silent peer dead)."""
        w = self.runtime.worker(owner) if wall is None else self.runtime.worker(owner, wall=wall)
        self._workers.append(w)
        return w

    # ------------------------------------------------------------------ inputs
    def publish(self, source: str | dict[str, Any]) -> WorkflowVersion:
        data = load_text(source) if isinstance(source, str) else source
        # As the CLI does: action nodes must name an action registered in the runtime.
        registry = self.runtime.engine.registry
        return publish(self.store, self.runtime.engine.catalog, data, self.now, registry)

    def add_contact(self, cid: str, **kw: Any) -> Contact:
        kw.setdefault("first_name", cid.capitalize())
        kw.setdefault("phone", "+12125550100")
        kw.setdefault("email", f"{cid}@example.com")
        kw.setdefault("time_zone", ZONE)
        contact = Contact(cid, **kw)
        self.store.upsert_contacts([contact], self.now)
        return contact

    def add_contacts(self, n: int, prefix: str = "c", **kw: Any) -> list[str]:
        ids = [f"{prefix}{i:05d}" for i in range(n)]
        contacts = []
        for cid in ids:
            item = dict(kw)
            item.setdefault("phone", "+12125550100")
            item.setdefault("email", f"{cid}@example.com")
            item.setdefault("time_zone", ZONE)
            contacts.append(Contact(cid, **item))
        self.store.upsert_contacts(contacts, self.now)
        return ids

    def emit(
        self,
        type_: str,
        cid: str | None,
        data: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        occurred_at: float | None = None,
    ) -> int | None:
        self._event_seq += 1
        when = self.now if occurred_at is None else occurred_at
        (eid,) = self.store.append_events(
            [NewEvent(type_, cid, data or {}, key or f"test-{self._event_seq}", when)], self.now
        )
        return eid

    def enroll(self, key: str, *cids: str, context: dict[str, Any] | None = None) -> list[int]:
        out = enroll(
            self.store,
            self.runtime.engine.catalog,
            key,
            self.now,
            contact_ids=cids,
            context=context,
        )
        return out.run_ids

    def set_consent(self, cid: str, channel: str, state: str) -> None:
        self.store.apply_contact_patches([ContactPatch(cid, consent={channel: state})], self.now)

    # ------------------------------------------------------------------ reading
    def run(self, run_id: int) -> Run:
        found = self.store.get_run(run_id)
        assert found is not None, f"no run {run_id}"
        return found

    def runs(self, key: str | None = None, cid: str | None = None) -> list[Run]:
        return self.store.list_runs(RunFilter(workflow_key=key, contact_id=cid, limit=100_000))

    def steps(self, run_id: int) -> list[Step]:
        return self.store.run_steps(run_id)

    def outcomes(self, run_id: int) -> list[tuple[str, str]]:
        return [(s.node, s.outcome) for s in self.store.run_steps(run_id)]

    def messages(self, **flt: Any) -> list[Message]:
        flt.setdefault("limit", 100_000)
        return self.store.list_messages(MessageFilter(**flt))

    def ledger(self) -> list[SandboxDelivery]:
        return self.store.sandbox_deliveries()

    def contact(self, cid: str) -> Contact:
        found = self.store.get_contact(cid)
        assert found is not None
        return found

    def close(self) -> None:
        self.runtime.close()


# ---------------------------------------------------------------------- custom handlers
class ScriptedHandler:
    """A node handler whose ``enter`` raises the queued exceptions, then moves on."""

    def __init__(self, *errors: BaseException, outcome: str = "custom") -> None:
        self.errors = list(errors)
        self.calls: list[float] = []
        self.outcome = outcome

    def enter(self, ctx: StepContext, node: Any) -> Result:
        self.calls.append(ctx.now)
        if self.errors:
            raise self.errors.pop(0)
        return Go(node.next, outcome=self.outcome)

    def resume(self, ctx: StepContext, node: Any) -> Result:
        return self.enter(ctx, node)
