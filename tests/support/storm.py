"""Worker-storm harness: ``leadflow worker --virtual-clock`` processes SIGKILLed at seeded random
moments and restarted on one database until all the work is done, then the database is read back.

Shared by the crash tests (the root ``conftest.py`` has pytest rewrite the asserts of the
``check_*`` functions, as for all of ``tests/support``) and by ``bench/chaos.py``. Generic in the
database URL (``sqlite:///...`` or ``postgresql://...``) and in the number of workers.

The pieces:

* :func:`leadflow_cmd`: the worker is started through a tiny launcher (``python -c``) that
  imports ``leadflow.cli.app:main`` -- exactly what the ``leadflow`` console script runs --
  prints ``ready`` and calls ``main()``; the marker lets the harness time kills from the moment
  the worker can do work, instead of wasting them on interpreter start-up. (``python -m
  leadflow.cli.app`` would not run ``main``: the module has no ``__main__`` guard.) With
  ``ready_when="running"`` the launcher prints the marker later, as ``Worker.run`` is entered
  (the runtime built, the database connected): on a loaded machine start-up can outlast the kill
  window, and kills timed from the import would mostly hit workers that never claimed anything.
* :func:`prepare`: a fresh schema, a published workflow and synthetic leads enrolled.
* :class:`Storm`: the storm itself, in three phases. :meth:`Storm.storm` keeps ``workers``
  processes running, each killed ``kill_after`` seconds after its ``ready`` and replaced at once,
  until ``min_kills`` kills hit while work remained (before each start, a wave of new contacts is
  enrolled when fewer than ``topup_below`` runs are live, so a fast machine cannot run out of
  work). :meth:`Storm.calm` lets the workers end on their own and starts new rounds while the
  database still shows open work (with several workers, each keeping its own virtual clock, one
  may stop early while another holds leases). :meth:`Storm.idle_worker` starts one more worker
  that must find nothing to do and exit 0. With a single worker, any worker that ends on its own
  must leave nothing to do. Each life draws its ``LEADFLOW_BATCH`` /
  ``LEADFLOW_DISPATCH_BATCH`` from ``batches``.
* :func:`load_outcome` reads the database back; the ``check_*`` functions assert on it (tests),
  :func:`figures` counts what went wrong (``bench/chaos.py``).

Harness failures (a worker exiting non-zero, too many lives, past the deadline) raise
:class:`StormError`.
"""

from __future__ import annotations

import math
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from leadflow.clock import VirtualClock
from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import (
    Contact,
    Message,
    MessageFilter,
    Run,
    RunFilter,
    SandboxDelivery,
)
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.simulate.leads import synthetic_contacts
from leadflow.store.contract import Store
from leadflow.store.factory import open_store
from leadflow.store.sqlite import path_from_url

LAUNCHER = (
    "import sys\n"
    "from leadflow.cli.app import main\n"
    "print('ready', flush=True)\n"
    "sys.argv[0] = 'leadflow'\n"
    "main()\n"
)
# The same, with the marker printed when the worker loop starts (Worker.run entered).
LAUNCHER_RUNNING = (
    "import sys\n"
    "from leadflow.cli.app import main\n"
    "from leadflow.engine.worker import Worker\n"
    "_run = Worker.run\n"
    "def _run_ready(self, *args, **kwargs):\n"
    "    print('ready', flush=True)\n"
    "    return _run(self, *args, **kwargs)\n"
    "Worker.run = _run_ready\n"
    "sys.argv[0] = 'leadflow'\n"
    "main()\n"
)
ReadyWhen = Literal["imported", "running"]
BATCHES = (1, 2, 3, 5, 20)  # LEADFLOW_BATCH / LEADFLOW_DISPATCH_BATCH, drawn per worker life
FAILED_OUTCOMES = frozenset({"retry", "on_error", "failed"})
SEND_NODES = ("welcome_sms", "email", "followup_sms")  # of nurture()
WAIT_NODES = ("wait_1h", "next_morning")
STEP_COLUMNS = "run_id, step_seq, node, outcome, started_at, due_at, error"  # of a step row


class StormError(RuntimeError):
    """The harness could not drive the storm (a worker failed, too many lives, too slow)."""


# ---------------------------------------------------------------------------------- workload
def nurture(key: str, name: str, tail: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The nurture workflow: sms, wait 1h, email, wait until 10:00 the next morning, sms (then
    the ``tail`` nodes, if any)."""
    followup: dict[str, Any] = {
        "id": "followup_sms",
        "kind": "send_sms",
        "body": "Good morning {{ contact.first_name }}! Any questions?",
    }
    if tail:
        followup["next"] = tail[0]["id"]
    return {
        "key": key,
        "name": name,
        "settings": {"reentry": {"policy": "never"}},
        "start": "welcome_sms",
        "nodes": [
            {
                "id": "welcome_sms",
                "kind": "send_sms",
                "body": "Hi {{ contact.first_name }}, thanks for reaching out!",
                "next": "wait_1h",
            },
            {"id": "wait_1h", "kind": "wait", "duration": "1h", "next": "email"},
            {
                "id": "email",
                "kind": "send_email",
                "subject": "Homes for you, {{ contact.first_name }}",
                "body": "Hi {{ contact.first_name }}, here are a few listings.",
                "next": "next_morning",
            },
            {
                "id": "next_morning",
                "kind": "wait_until",
                "time": "10:00",
                "offset_days": 1,
                "next": "followup_sms",
            },
            followup,
            *(tail or []),
        ],
    }


def leadflow_cmd(*args: str, ready_when: ReadyWhen = "imported") -> list[str]:
    launcher = LAUNCHER if ready_when == "imported" else LAUNCHER_RUNNING
    return [sys.executable, "-c", launcher, *args]


def worker_cmd(url: str, ready_when: ReadyWhen = "imported") -> list[str]:
    return leadflow_cmd("worker", "--virtual-clock", "--db", url, "--json", ready_when=ready_when)


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def query(url: str, *sqls: str) -> list[list[tuple[Any, ...]]]:
    """The rows of each statement, read over one connection (sqlite3 or psycopg, by URL)."""
    if is_postgres(url):
        import psycopg

        with psycopg.connect(url, autocommit=True) as pg:
            return [pg.execute(sql).fetchall() for sql in sqls]
    conn = sqlite3.connect(path_from_url(url))
    try:
        return [conn.execute(sql).fetchall() for sql in sqls]
    finally:
        conn.close()


def prepare(url: str, workflow: dict[str, Any], contacts: int, start: float, seed: int) -> None:
    """Fresh schema, a published workflow, ``contacts`` synthetic leads enrolled at ``start``."""
    fresh = open_store(url, check_schema=False)
    fresh.upgrade()
    fresh.close()
    rt = build_runtime(Settings(db=url), clock=VirtualClock(start), seed=seed)
    try:
        publish(rt.store, rt.engine.catalog, workflow, start)
        rt.store.upsert_contacts(synthetic_contacts(contacts, seed=seed, now=start), start)
        out = enroll(rt.store, rt.engine.catalog, workflow["key"], start, everyone=True)
        if out.created != contacts:
            raise StormError(f"enrolled {out.created} runs, not {contacts}")
        rt.store.set_meta("virtual_now", repr(start))
    finally:
        rt.close()


def virtual_now(store: Store) -> float:
    saved = store.get_meta("virtual_now")
    if saved is None:
        raise StormError("no virtual_now in the meta table")
    return float(saved)


@dataclass
class Snapshot:
    live_runs: int
    leased_runs: int
    queued_messages: int
    in_doubt_messages: int
    pending_events: int

    @property
    def work_remains(self) -> bool:
        return bool(self.live_runs or self.queued_messages or self.pending_events)


def snapshot(url: str) -> Snapshot:
    counts = query(
        url,
        "SELECT count(*) FROM runs WHERE status IN ('active', 'waiting')",
        "SELECT count(*) FROM runs WHERE status IN ('active', 'waiting') "
        "AND lease_owner IS NOT NULL",
        "SELECT count(*) FROM messages WHERE status IN ('pending', 'deferred', 'sending')",
        "SELECT count(*) FROM messages WHERE status = 'sending'",
        "SELECT count(*) FROM events WHERE processed_at IS NULL",
    )
    return Snapshot(*(int(rows[0][0] or 0) for rows in counts))


# ------------------------------------------------------------------------------------- storm
@dataclass(frozen=True)
class StormPlan:
    workflow_key: str
    workers: int  # processes at once
    min_kills: int  # SIGKILLs while work remained, before the calm
    kill_after: tuple[float, float]  # seconds of worker life (after "ready") before SIGKILL
    wave: int  # contacts enrolled when the live runs run low during the storm
    topup_below: int
    max_lives: int
    deadline_s: float
    start: float  # a virtual moment for top-up runtimes (they enroll at the saved virtual_now)
    batches: tuple[int, ...] = BATCHES
    ready_when: ReadyWhen = "imported"  # when the launcher prints "ready" (kills count from it)


@dataclass
class StormStats:
    workers: int
    contacts: int  # enrolled so far
    kills: int = 0
    kills_with_work: int = 0
    kills_mid_dispatch: int = 0  # left messages in doubt (status sending)
    kills_mid_advance: int = 0  # left claimed, uncommitted runs
    natural_exits: int = 0
    lives: int = 0
    waves: int = 0
    rounds_after_storm: int = 0
    batches: list[int] = field(default_factory=list)

    @property
    def restarts(self) -> int:
        return self.lives - self.workers


@dataclass
class Life:
    proc: subprocess.Popen[bytes]
    err: Path
    ready_at: float | None = None
    kill_at: float | None = None


class Storm:
    """Workers on ``url`` (``enrolled`` runs already there; top-up waves come from ``pool``,
    after its first ``enrolled`` contacts); their stderr goes to files in ``workdir``."""

    def __init__(
        self,
        url: str,
        plan: StormPlan,
        pool: list[Contact],
        enrolled: int,
        rng: random.Random,
        workdir: Path,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.url, self.plan, self.pool, self.rng, self.workdir = url, plan, pool, rng, workdir
        self.progress = progress
        self.stats = StormStats(workers=plan.workers, contacts=enrolled)
        self.lives: list[Life] = []
        self.started = time.monotonic()

    def __enter__(self) -> Storm:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """SIGKILL and reap the workers still there (after a failure)."""
        lives, self.lives = self.lives, []
        for life in lives:
            if life.proc.poll() is None:
                os.kill(life.proc.pid, signal.SIGKILL)
            life.proc.communicate()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _check_time(self, what: str) -> None:
        if self.elapsed >= self.plan.deadline_s:
            raise StormError(f"{what} too slow ({self.elapsed:.0f} s): {self.stats}")

    def _check_lives(self) -> None:
        if self.stats.lives >= self.plan.max_lives:
            raise StormError(f"too many worker lives: {self.stats}")

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    # ------------------------------------------------------------------------ one worker
    def top_up(self) -> None:
        """Enroll the next wave of contacts at the saved virtual time."""
        stats = self.stats
        wave = self.pool[stats.contacts : stats.contacts + self.plan.wave]
        if not wave:
            raise StormError(f"contact pool exhausted: {stats}")
        rt = build_runtime(Settings(db=self.url), clock=VirtualClock(self.plan.start))
        try:
            now = virtual_now(rt.store)
            rt.store.upsert_contacts(wave, now)
            out = enroll(rt.store, rt.engine.catalog, self.plan.workflow_key, now, everyone=True)
            if out.created != len(wave):
                raise StormError(f"top-up enrolled {out}, not {len(wave)} runs")
        finally:
            rt.close()
        stats.contacts += len(wave)
        stats.waves += 1

    def start_worker(self) -> Life:
        batch = self.rng.choice(self.plan.batches)
        self.stats.batches.append(batch)
        env = dict(os.environ, LEADFLOW_BATCH=str(batch), LEADFLOW_DISPATCH_BATCH=str(batch))
        err = self.workdir / f"worker-{self.stats.lives}.err"
        with err.open("wb") as handle:
            proc = subprocess.Popen(
                worker_cmd(self.url, self.plan.ready_when),
                stdout=subprocess.PIPE,
                stderr=handle,
                env=env,
            )
        self.stats.lives += 1
        life = Life(proc, err)
        self.lives.append(life)
        return life

    def mark_ready(self, life: Life, kill: bool, timeout: float = 30.0) -> None:
        """Read the worker's ``ready`` (waiting up to ``timeout``); draw its kill moment."""
        stdout = life.proc.stdout
        assert stdout is not None
        readable, _, _ = select.select([stdout], [], [], timeout)
        if not readable:
            raise StormError(f"worker did not start in {timeout} s")
        line = stdout.readline()
        if line.strip() != b"ready":
            life.proc.wait()
            raise StormError(f"unexpected worker output {line!r}: {life.err.read_text()}")
        life.ready_at = time.monotonic()
        if kill:
            life.kill_at = life.ready_at + self.rng.uniform(*self.plan.kill_after)

    def _ended(self, life: Life, state: Snapshot | None = None) -> None:
        """A worker that ended on its own (reaped): it must have exited cleanly, and, when it
        was the only one, left nothing to do."""
        if life.proc.returncode != 0:
            raise StormError(f"worker exited {life.proc.returncode}: {life.err.read_text()}")
        self.stats.natural_exits += 1
        if self.plan.workers == 1:
            state = state or snapshot(self.url)
            if state.work_remains:
                raise StormError(f"the only worker stopped with work left: {state}")

    def reap(self, life: Life) -> str:
        """Collect a worker that ended on its own; its stdout (the JSON summary)."""
        self.lives.remove(life)
        out, _ = life.proc.communicate()
        self._ended(life)
        return out.decode()

    def kill(self, life: Life) -> None:
        self.lives.remove(life)
        os.kill(life.proc.pid, signal.SIGKILL)  # a worker that just ended is a zombie: no-op
        life.proc.communicate()
        state = snapshot(self.url)
        if life.proc.returncode != -signal.SIGKILL:  # ended on its own just before the kill
            self._ended(life, state)
            return
        stats = self.stats
        stats.kills += 1
        stats.kills_with_work += state.work_remains
        stats.kills_mid_dispatch += state.in_doubt_messages > 0
        stats.kills_mid_advance += state.leased_runs > 0
        self._say(
            f"kill {stats.kills} ({stats.kills_with_work}/{self.plan.min_kills} with work left), "
            f"{stats.lives} lives, {state.live_runs} live runs, {state.queued_messages} queued "
            f"messages, {self.elapsed:.1f} s"
        )

    # ---------------------------------------------------------------------------- phases
    def storm(self) -> None:
        """``workers`` processes at once, each killed at a random moment after it is ready and
        replaced at once, until ``min_kills`` kills hit while work remained."""
        plan, stats = self.plan, self.stats
        while stats.kills_with_work < plan.min_kills:
            self._check_lives()
            self._check_time("storm")
            while len(self.lives) < plan.workers:
                if snapshot(self.url).live_runs < plan.topup_below:
                    self.top_up()
                self.start_worker()
            starting = [life for life in self.lives if life.ready_at is None]
            now = time.monotonic()
            pause = 0.01 if starting else 0.005
            for life in self.lives:
                if life.kill_at is not None:
                    pause = min(pause, max(0.0, life.kill_at - now))
            if starting:
                pipes = {life.proc.stdout: life for life in starting if life.proc.stdout}
                readable, _, _ = select.select(list(pipes), [], [], pause)
                for pipe in readable:
                    self.mark_ready(pipes[pipe], kill=True)
            else:
                time.sleep(pause)
            now = time.monotonic()
            for life in list(self.lives):
                if life.proc.poll() is not None:
                    self.reap(life)
                elif life.kill_at is not None and now >= life.kill_at:
                    self.kill(life)

    def calm(self) -> str:
        """No more kills: let the workers end on their own; while the database still shows open
        work, start a new round of ``workers``. Returns the last worker's JSON summary."""
        out = ""
        while True:
            self._check_time("calm")
            for life in self.lives:
                if life.ready_at is None:
                    self.mark_ready(life, kill=False)
            for life in list(self.lives):
                try:
                    life.proc.wait(timeout=max(1.0, self.plan.deadline_s - self.elapsed))
                except subprocess.TimeoutExpired:
                    raise StormError(f"calm too slow: {self.stats}") from None
                out = self.reap(life)
            if not snapshot(self.url).work_remains:
                return out
            self.stats.rounds_after_storm += 1
            self._say(f"round {self.stats.rounds_after_storm} after the storm")
            self._check_lives()
            for _ in range(self.plan.workers):
                self.start_worker()

    def idle_worker(self, timeout: float = 60.0) -> str:
        """One last worker: nothing left to do, it must exit on its own with 0. Its summary."""
        life = self.start_worker()
        self.mark_ready(life, kill=False)
        try:
            life.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise StormError(f"the idle worker did not exit in {timeout} s") from None
        return self.reap(life)


# ----------------------------------------------------------------------------------- outcome
@dataclass
class Outcome:
    """What the database holds after the storm."""

    expected_runs: int
    contacts: int
    run_counts: dict[str, int]  # status -> runs of the workflow
    runs: list[Run]
    pending_events: int
    messages: list[Message]
    ledger: dict[str, SandboxDelivery]  # sandbox provider's deliveries by idempotency key
    steps: dict[int, list[tuple[Any, ...]]]  # run id -> step rows (STEP_COLUMNS) in order


def load_outcome(url: str, workflow_key: str, expected_runs: int) -> Outcome:
    store = open_store(url)
    try:
        contacts = store.count_contacts()
        run_counts = store.count_runs(workflow_key)
        runs = store.list_runs(RunFilter(limit=expected_runs + 1))
        pending_events = store.pending_events_count()
        messages = store.list_messages(MessageFilter(limit=10 * expected_runs))
        ledger = {d.idempotency_key: d for d in store.sandbox_deliveries()}
    finally:
        store.close()
    (rows,) = query(url, f"SELECT {STEP_COLUMNS} FROM steps ORDER BY run_id, step_seq, id")
    steps: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        steps[row[0]].append(tuple(row))
    return Outcome(
        expected_runs, contacts, run_counts, runs, pending_events, messages, ledger, dict(steps)
    )


def check_runs(o: Outcome) -> None:
    """Every run completed, one per contact, no error, no event left."""
    n = o.expected_runs
    assert o.contacts == n
    assert o.run_counts == {"completed": n}, {r.status for r in o.runs}
    assert len(o.runs) == n
    assert len({r.contact_id for r in o.runs}) == n, "a contact got two runs"
    assert all(r.error is None for r in o.runs)
    assert o.pending_events == 0


def check_messages(o: Outcome, send_nodes: tuple[str, ...], duplicates_fail: bool) -> None:
    """One outbox message and one sandbox delivery per run and send node, each delivered.
    ``duplicates_fail``: a message delivered twice fails here (otherwise the caller reports
    them; only the provider id of a duplicated message is not compared)."""
    expected_messages = o.expected_runs * len(send_nodes)
    assert len(o.messages) == expected_messages
    assert len(o.ledger) == expected_messages, "deliveries != runs x sends per run"
    if duplicates_fail:
        assert [k for k, d in o.ledger.items() if d.duplicates > 0] == [], "duplicate deliveries"
    by_run: dict[int, list[str]] = defaultdict(list)
    for m in o.messages:
        assert m.status == "delivered", (m.idempotency_key, m.status, m.error)
        assert m.idempotency_key in o.ledger, f"{m.idempotency_key} not delivered"
        if duplicates_fail:
            assert m.duplicates == 0
        if duplicates_fail or not o.ledger[m.idempotency_key].duplicates:
            assert m.provider_id == o.ledger[m.idempotency_key].provider_id
        assert m.run_id is not None and m.node is not None
        by_run[m.run_id].append(m.node)
    assert all(sorted(nodes) == sorted(send_nodes) for nodes in by_run.values())
    assert len(by_run) == o.expected_runs


def check_steps(
    o: Outcome,
    wait_nodes: Mapping[str, float | None],
    send_nodes: tuple[str, ...],
    deferrals: frozenset[str] | None = None,
) -> None:
    """Step numbers without gaps or repeats, no failed step, every wait (``node -> exact
    duration`` when fixed) entered once and left by its timer, not before it was due, every send
    node queued last (after only ``deferrals`` outcomes, when given)."""
    assert len(o.steps) == o.expected_runs
    for run_id, history in o.steps.items():
        seqs = [s[1] for s in history]
        assert seqs == list(range(1, len(seqs) + 1)), f"run {run_id}: step numbers {seqs}"
        failed = [s for s in history if s[6] is not None or s[3] in FAILED_OUTCOMES]
        assert failed == [], f"run {run_id}: a step failed: {failed}"
        for node, duration in wait_nodes.items():
            here = [s for s in history if s[2] == node]
            outcomes = [s[3] for s in here]
            assert outcomes == ["waiting", "timer"], f"run {run_id} {node}: {history}"
            waiting, timer = here
            assert timer[1] > waiting[1]
            assert timer[5] is not None and timer[4] >= timer[5], f"run {run_id}: early timer"
            if duration is not None:
                assert math.isclose(timer[5], waiting[4] + duration, rel_tol=1e-6, abs_tol=1e-12)
        for node in send_nodes:
            outcomes = [s[3] for s in history if s[2] == node]
            assert outcomes[-1:] == ["queued"], f"run {run_id} {node}: {outcomes}"
            if deferrals is not None:
                assert set(outcomes[:-1]) <= deferrals, outcomes


def figures(o: Outcome, send_nodes: tuple[str, ...], wait_nodes: tuple[str, ...]) -> dict[str, int]:
    """What went wrong, counted (no assertion): the bench's figures."""
    expected_messages = o.expected_runs * len(send_nodes)
    delivered = [m for m in o.messages if m.status == "delivered" and m.idempotency_key in o.ledger]
    per_key = Counter(m.idempotency_key for m in o.messages)
    timers_ok = 0
    failed_steps = 0
    for history in o.steps.values():
        failed_steps += sum(s[6] is not None or s[3] in FAILED_OUTCOMES for s in history)
        for node in wait_nodes:
            here = [s for s in history if s[2] == node]
            if [s[3] for s in here] == ["waiting", "timer"]:
                waiting, timer = here
                timers_ok += timer[1] > waiting[1] and timer[5] is not None and timer[4] >= timer[5]
    return {
        "expected_runs": o.expected_runs,
        "completed_runs": o.run_counts.get("completed", 0),
        "lost_runs": o.expected_runs - o.run_counts.get("completed", 0),
        "expected_messages": expected_messages,
        "messages": len(o.messages),
        "delivered": len(delivered),
        "lost_messages": max(0, expected_messages - len(delivered)),
        "ledger_deliveries": len(o.ledger) + sum(d.duplicates for d in o.ledger.values()),
        "duplicates": sum(d.duplicates for d in o.ledger.values()),
        "duplicated_keys": sum(d.duplicates > 0 for d in o.ledger.values()),
        "keys_with_several_messages": sum(n > 1 for n in per_key.values()),
        "expected_timers": o.expected_runs * len(wait_nodes),
        "missed_timers": o.expected_runs * len(wait_nodes) - timers_ok,
        "failed_steps": failed_steps,
        "in_doubt_reconciled": sum(m.attempts == 0 for m in delivered),
        "step_rows": sum(len(history) for history in o.steps.values()),
        "pending_events": o.pending_events,
    }
