"""The worker loop: events, then due runs, then the outbox, then schedules; repeat.

``tick(now)`` does one pass and returns how much work it found, so tests drive it with a date and
never sleep. ``run`` loops until stopped (SIGTERM/SIGINT finish the current pass, then exit),
until idle, or, with a virtual clock, jumping time to the next due moment until nothing is left.

Virtual time is shared through the database (meta ``virtual_now``, only ever raised), so a
worker killed and started again resumes at the same virtual moment and several virtual-clock
workers on one database live in one time. Their leases never expire in virtual time
(``VIRTUAL_LEASE_S``): time jumps are free, so an expiry would only measure how far a peer
jumped, not whether the holder is alive. Instead, time stands still while another worker has
work in flight, and a holder is presumed dead when its process is gone (same host) or its leases
stayed unchanged for ``takeover_s`` of wall time; its leases are then released, and its
``sending`` messages are taken over *in doubt* (reconciled with the provider before any resend).
Idle real-clock workers also release the leases of same-host holders whose process is gone,
instead of waiting ``lease_s`` for them to expire.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from leadflow.clock import Clock, VirtualClock
from leadflow.engine.advance import Engine
from leadflow.engine.advancer import Advancer
from leadflow.engine.dispatch import Dispatcher
from leadflow.engine.events import EventProcessor
from leadflow.engine.jobs import DueJobs
from leadflow.engine.liveness import StaleLeases, is_dead
from leadflow.engine.ports import DispatchPolicy, PeriodicJob, Provider, Ticker
from leadflow.engine.schedules import Scheduler
from leadflow.model.records import HeldLease
from leadflow.model.rules import meta_number
from leadflow.store.contract import Store

VIRTUAL_NOW = "virtual_now"
VIRTUAL_LEASE_S = 1e9  # virtual-clock leases: held until committed or released (~31 years)
VIRTUAL_POLL_S = 0.05  # a virtual-clock worker waiting for a peer's work in flight looks this often
MAX_IDLE_STEPS = 3600  # virtual seconds of unclaimable due work before a virtual run gives up
STOP_CHECK_S = 0.2  # an idle worker looks at its stop flag at least this often
YOUNG_GC_THRESHOLD = 10_000  # allocations between young garbage collections while looping

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WorkerStats:
    ticks: int = 0
    events: int = 0
    runs: int = 0
    messages: int = 0
    schedules: int = 0
    released: int = 0  # leases of dead holders released
    webhooks: int = 0  # outbound webhook deliveries enqueued or attempted
    jobs: int = 0  # work done by periodic jobs (e.g. experiment decisions stored by reviews)
    quarantined: int = 0  # events, runs and messages set aside with their error (bad data, bugs)
    by_job: dict[str, int] = field(default_factory=dict)  # job name -> work it did


@dataclass(slots=True, frozen=True)
class WorkerConfig:
    """A worker's batch sizes and timings (``LEADFLOW_*`` settings of the same names)."""

    batch: int = 500  # events and runs claimed per pass
    dispatch_batch: int = 200  # messages claimed per pass
    lease_s: float = 60.0
    takeover_s: float = 30.0  # virtual clock: a peer's leases unchanged this long (wall time)
    poll_s: float = 0.2  # longest wait between two looks when idle


class _Idle:
    def tick(self, now: float) -> int:
        return 0


class Worker:
    """One worker: the engine's passes over the store, with the providers and policy it sends
    through, the periodic jobs it runs (default: those installed in the engine's registry) and
    its own ``webhooks`` part (outbound webhook deliveries)."""

    def __init__(
        self,
        store: Store,
        engine: Engine,
        clock: Clock,
        owner: str,
        *,
        providers: dict[str, Provider],  # shared: a provider swapped in later is used
        policy: DispatchPolicy,
        config: WorkerConfig | None = None,
        webhooks: Ticker | None = None,
        jobs: Sequence[PeriodicJob] | None = None,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        c = config or WorkerConfig()
        self.store, self.engine, self.clock, self.config = store, engine, clock, c
        self.owner = owner
        self.events = EventProcessor(store, engine, owner, c.batch, c.lease_s)
        self.advancer = Advancer(store, engine, owner, c.batch, c.lease_s)
        self.dispatcher = Dispatcher(
            store,
            engine,
            providers,
            policy,
            owner,
            c.dispatch_batch,
            c.lease_s,
            clock=clock.now,
        )
        self.scheduler = Scheduler(store, engine)
        self.webhooks: Ticker = webhooks or _Idle()
        self.jobs = DueJobs(engine.registry.jobs if jobs is None else jobs)
        self.stats = WorkerStats()
        self.stale = StaleLeases(c.takeover_s, wall)

    def tick(self, now: float) -> int:
        """One pass over everything due at ``now``. Events go first so a reply stops outreach
        before the next step or message goes out."""
        st = self.stats
        st.ticks += 1
        self.engine.catalog.refresh()  # see workflows published by other processes
        n_events = self.events.process_due(now)
        n_runs = self.advancer.advance_due(now)
        n_msgs = self.dispatcher.dispatch_due(now)
        n_sched = self.scheduler.fire_due(now)
        n_hooks = self.webhooks.tick(now)  # one indexed read when there is nothing to send
        busy = bool(n_events or n_runs or n_msgs or n_sched or n_hooks)
        n_jobs = self.jobs.run_due(now, st.by_job, busy=busy)  # e.g. experiment reviews
        st.webhooks += n_hooks
        st.jobs += n_jobs
        st.events += n_events
        st.runs += n_runs
        st.messages += n_msgs
        st.schedules += n_sched
        st.quarantined = (
            self.events.quarantined + self.advancer.quarantined + self.dispatcher.quarantined
        )
        return n_events + n_runs + n_msgs + n_sched + n_hooks + n_jobs

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
        with fewer_collections():
            return self._loop(stop, until_idle, virtual, until, before_tick, extra_due)

    def _loop(
        self,
        stop: threading.Event | None,
        until_idle: bool,
        virtual: bool,
        until: float | None,
        before_tick: Callable[[float], int] | None,
        extra_due: Callable[[], float | None] | None,
    ) -> WorkerStats:
        stop = stop or threading.Event()
        clock = self.clock
        store = self.store
        if virtual:
            if not isinstance(clock, VirtualClock):
                raise TypeError("virtual mode needs a VirtualClock")
            saved = store.get_meta(VIRTUAL_NOW)
            if saved is not None:
                clock.set(float(saved))
            for part in (self.events, self.advancer, self.dispatcher):
                part.lease_s = VIRTUAL_LEASE_S
        stuck = 0
        while not stop.is_set():
            if isinstance(clock, VirtualClock) and virtual:
                _catch_up(clock, store.get_meta(VIRTUAL_NOW))
            now = clock.now()
            done = before_tick(now) if before_tick is not None else 0
            done += self.tick(now)
            if done:
                continue
            held = store.held_leases()
            if held and self._release_dead(held, virtual):
                continue
            if not virtual:
                if until_idle:
                    break
                self._idle(stop, self.config.poll_s)
                continue
            assert isinstance(clock, VirtualClock)
            if held:  # a peer has work in flight: time stands still until it is done
                self._idle(stop, min(VIRTUAL_POLL_S, self.config.poll_s))
                continue
            nxt = _earliest(
                store.next_due_at(include_leases=False), extra_due() if extra_due else None
            )
            if nxt is None or (until is not None and nxt > until):
                if until is not None:
                    clock.set(max(until, now))
                    store.raise_meta(VIRTUAL_NOW, clock.now())
                break
            clock.set(max(nxt, now))
            if clock.now() == now and nxt <= now:
                # Due work exists but none could be claimed (a lease that ends exactly now:
                # claims need it to have ended before now). Step past it.
                stuck += 1
                if stuck > MAX_IDLE_STEPS:
                    log.error(
                        "due work that nobody can claim for %d virtual seconds; stopping", stuck
                    )
                    break
                clock.set(now + 1.0)
            else:
                stuck = 0
            clock.set(store.raise_meta(VIRTUAL_NOW, clock.now()))
        return self.stats

    def _release_dead(self, held: list[HeldLease], virtual: bool) -> int:
        """Release the leases of holders presumed dead; how many entries were released. Between
        two passes this worker holds nothing, so leases under its own name are leftovers of a
        pass that failed half-way: released too."""
        dead = {h.owner for h in held if h.owner == self.owner or is_dead(h.owner)}
        if virtual:
            dead.update(self.stale.stale([h for h in held if h.owner not in dead]))
        if not dead:
            return 0
        released = self.store.release_leases(sorted(dead))
        if released:
            log.warning(
                "released %d lease(s) of %d worker(s) presumed dead: %s",
                released,
                len(dead),
                ", ".join(sorted(dead)),
            )
        self.stats.released += released
        return released

    def _idle(self, stop: threading.Event, poll_s: float) -> None:
        """Wait up to ``poll_s`` seconds for new work: return early when the store reports a
        write that may have made work (PostgreSQL: LISTEN/NOTIFY from any process) or when
        ``stop`` is set (checked at least every ``STOP_CHECK_S``). Timers coming due are found
        by the next tick, so ``poll_s`` stays the longest time between two looks. The wait is cut
        into equal slices rather than timed (the engine reads no clock but its Clock)."""
        store = self.store
        slices = max(1, math.ceil(poll_s / STOP_CHECK_S))
        for _ in range(slices):
            if stop.is_set() or store.wait_for_work(poll_s / slices):
                return


@contextmanager
def fewer_collections(young: int = YOUNG_GC_THRESHOLD) -> Iterator[None]:
    """While a worker loops, Python's cyclic garbage collector looks at its youngest objects every
    ``young`` allocations instead of every 700 (the default), the older generations' thresholds
    unchanged; restored afterwards. A batch makes thousands of short-lived records that reference
    counting frees (no cycles), and with the default they lived through young passes often
    enough to set off a full pass over every object of the process every few hundred runs: the
    collector took about a sixth of a worker's CPU in the engine bench."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], young), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _catch_up(clock: VirtualClock, shared: str | None) -> None:
    """Move the virtual clock up to the shared virtual time (never back)."""
    value = meta_number(shared)
    if value is not None and value > clock.now():
        clock.set(value)


def _earliest(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
