"""The worker loop: events, then due runs, then the outbox, then schedules; repeat.

``tick(now)`` does one pass and returns how much work it found, so tests drive it with a date and
never sleep. ``run`` loops until stopped (SIGTERM/SIGINT finish the current pass, then exit),
until idle, or, with a virtual clock, jumping time to the next due moment until nothing is left.
The virtual time is kept in the database (meta ``virtual_now``), so a worker killed and started
again resumes at the same virtual moment.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadflow.clock import VirtualClock
from leadflow.engine.advancer import Advancer
from leadflow.engine.dispatch import Dispatcher
from leadflow.engine.events import EventProcessor
from leadflow.engine.schedules import Scheduler

if TYPE_CHECKING:
    from leadflow.runtime import Runtime

VIRTUAL_NOW = "virtual_now"
MAX_IDLE_STEPS = 3600  # virtual seconds of unclaimable due work before a virtual run gives up
STOP_CHECK_S = 0.2  # an idle worker looks at its stop flag at least this often

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WorkerStats:
    ticks: int = 0
    events: int = 0
    runs: int = 0
    messages: int = 0
    schedules: int = 0


class Worker:
    def __init__(self, runtime: Runtime, owner: str) -> None:
        s = runtime.settings
        self.runtime = runtime
        self.owner = owner
        store, engine = runtime.store, runtime.engine
        self.events = EventProcessor(store, engine, owner, s.batch, s.lease_s)
        self.advancer = Advancer(store, engine, owner, s.batch, s.lease_s)
        self.dispatcher = Dispatcher(
            store, engine, runtime.providers, runtime.policy, owner, s.dispatch_batch, s.lease_s
        )
        self.scheduler = Scheduler(store, engine)
        self.stats = WorkerStats()

    def tick(self, now: float) -> int:
        """One pass over everything due at ``now``. Events go first so a reply stops outreach
        before the next step or message goes out."""
        st = self.stats
        st.ticks += 1
        self.runtime.engine.catalog.refresh()  # see workflows published by other processes
        n_events = self.events.process_due(now)
        n_runs = self.advancer.advance_due(now)
        n_msgs = self.dispatcher.dispatch_due(now)
        n_sched = self.scheduler.fire_due(now)
        st.events += n_events
        st.runs += n_runs
        st.messages += n_msgs
        st.schedules += n_sched
        return n_events + n_runs + n_msgs + n_sched

    def run(
        self,
        *,
        stop: threading.Event | None = None,
        until_idle: bool = False,
        virtual: bool = False,
        until: float | None = None,
        before_tick: Callable[[float], int] | None = None,
        extra_due: Callable[[], float | None] | None = None,
    ) -> WorkerStats:
        """Loop until ``stop`` is set; ``until_idle``: stop when nothing is due now; ``virtual``:
        jump the (virtual) clock to the next due moment instead of waiting, and stop when nothing
        is left at all (or past ``until``). A simulation adds its own due moments with
        ``extra_due`` and injects what became due with ``before_tick`` (returns how many)."""
        stop = stop or threading.Event()
        clock = self.runtime.clock
        store = self.runtime.store
        if virtual:
            if not isinstance(clock, VirtualClock):
                raise TypeError("virtual mode needs a VirtualClock")
            saved = store.get_meta(VIRTUAL_NOW)
            if saved is not None:
                clock.set(float(saved))
        stuck = 0
        while not stop.is_set():
            now = clock.now()
            done = before_tick(now) if before_tick is not None else 0
            done += self.tick(now)
            if done:
                continue
            if virtual:
                assert isinstance(clock, VirtualClock)
                nxt = _earliest(store.next_due_at(), extra_due() if extra_due else None)
                if nxt is None or (until is not None and nxt > until):
                    if until is not None:
                        clock.set(until)
                        store.set_meta(VIRTUAL_NOW, repr(clock.now()))
                    break
                clock.set(max(nxt, now))
                if clock.now() == now and nxt <= now:
                    # Due work exists but none could be claimed: a lease that ends exactly now
                    # (claims need it to have ended before now). Step past it.
                    stuck += 1
                    if stuck > MAX_IDLE_STEPS:
                        log.error(
                            "due work that nobody can claim for %d virtual seconds; stopping", stuck
                        )
                        break
                    clock.set(now + 1.0)
                else:
                    stuck = 0
                store.set_meta(VIRTUAL_NOW, repr(clock.now()))
                continue
            if until_idle:
                break
            self._idle(stop, self.runtime.settings.poll_s)
        return self.stats

    def _idle(self, stop: threading.Event, poll_s: float) -> None:
        """Wait up to ``poll_s`` seconds for new work: return early when the store reports a
        write that may have made work (PostgreSQL: LISTEN/NOTIFY from any process) or when
        ``stop`` is set (checked at least every ``STOP_CHECK_S``). Timers coming due are found
        by the next tick, so ``poll_s`` stays the longest time between two looks. The wait is cut
        into equal slices rather than timed (the engine reads no clock but its Clock)."""
        store = self.runtime.store
        slices = max(1, math.ceil(poll_s / STOP_CHECK_S))
        for _ in range(slices):
            if stop.is_set() or store.wait_for_work(poll_s / slices):
                return


def _earliest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
