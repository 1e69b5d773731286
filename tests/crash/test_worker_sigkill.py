"""Crash tests: ``leadflow worker --virtual-clock`` processes killed with SIGKILL and restarted.

The storm test kills a real worker process at seeded random moments (0.05-0.5 s after it has
imported leadflow) at least ``MIN_KILLS`` times while work remains, restarts it on the same
SQLite file each time (the virtual time lives in the meta ``virtual_now``), and finally lets a
worker run until it exits on its own with code 0. Then it reads the database and checks what the
engine promises: no run lost or stuck, exactly one delivery per message (the sandbox ledger counts
any second attempt as a duplicate), every outbox message delivered, every timer fired once, after
its wait was entered and not before it was due, and step numbers without gaps or repeats.

The worker is started through a tiny launcher (``python -c``) that imports
``leadflow.cli.app:main`` -- exactly what the ``leadflow`` console script runs -- prints
``ready`` and calls ``main()``; the marker lets the harness time kills from the moment the worker
can do work, instead of wasting them on interpreter start-up. (``python -m leadflow.cli.app``
would not run ``main``: the module has no ``__main__`` guard.)

If fewer runs than ``TOPUP_BELOW`` are still live before a restart and not enough kills were done
yet, a wave of new contacts is enrolled (at the current virtual time), so a fast machine cannot
run out of work before ``MIN_KILLS``.

The in-doubt tests kill a worker (SIGKILL, from inside its provider) right after a delivery and
before its verdict is committed, then check a restarted ``leadflow worker --virtual-clock``
reconciles instead of sending again. A last test checks a restarted worker resumes at the
stored virtual moment even when that moment is behind the wall clock.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadflow.clock import VirtualClock
from leadflow.engine.workflows import enroll, publish
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.simulate.leads import synthetic_contacts
from leadflow.store.contract import Store
from leadflow.store.factory import open_store
from leadflow.store.records import Contact, MessageFilter, RunFilter

pytestmark = pytest.mark.slow

# Virtual start: Monday 2026-01-05 15:00 UTC (10:00 in New York, 7:00 in Los Angeles, so western
# leads' first texts are deferred for quiet hours). A realistic date, in the past: `leadflow worker
# --virtual-clock` resumes at the stored virtual_now whatever the wall clock says (see
# test_virtual_clock_resumes_saved_moment_behind_wall_clock).
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC).timestamp()
SEED = 20240917
MIN_KILLS = 20
INITIAL_RUNS = 300
WAVE = 200  # contacts added when the live runs run low before MIN_KILLS
TOPUP_BELOW = 150
POOL = 6000  # synthetic contacts available for the initial batch and the waves
KILL_AFTER = (0.05, 0.5)  # seconds of worker life (after "ready") before SIGKILL
BATCHES = (1, 2, 3, 5, 20)  # LEADFLOW_BATCH / LEADFLOW_DISPATCH_BATCH, drawn per life
MAX_LIVES = 120
DEADLINE_S = 150.0

LAUNCHER = (
    "import sys\n"
    "from leadflow.cli.app import main\n"
    "print('ready', flush=True)\n"
    "sys.argv[0] = 'leadflow'\n"
    "main()\n"
)

NURTURE: dict[str, Any] = {
    "key": "crash-nurture",
    "name": "Crash nurture",
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
        {
            "id": "followup_sms",
            "kind": "send_sms",
            "body": "Good morning {{ contact.first_name }}! Any questions?",
            "next": "check",
        },
        {
            "id": "check",
            "kind": "branch",
            "cases": [
                {
                    "when": {"field": "steps.welcome_sms.delivered", "op": "eq", "value": True},
                    "next": "call",
                }
            ],
            "default": "no_call",
        },
        {"id": "call", "kind": "voice_call", "say": "Hi {{ contact.first_name }}, it's Sam."},
        {"id": "no_call", "kind": "exit", "reason": "first_text_not_delivered"},
    ],
}
FAILED_OUTCOMES = frozenset({"retry", "on_error", "failed"})
SEND_NODES = ("welcome_sms", "email", "followup_sms", "call")
WAIT_NODES = {"wait_1h": 3600.0, "next_morning": None}  # node -> exact duration if fixed


# ---------------------------------------------------------------------------------------- helpers
def leadflow_cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", LAUNCHER, *args]


def db_url(path: Path) -> str:
    return f"sqlite:///{path}"  # absolute path: sqlite:////tmp/...


def prepare(url: str, workflow: dict[str, Any], contacts: int, start: float) -> None:
    """Fresh schema, a published workflow, ``contacts`` synthetic leads enrolled at ``start``."""
    fresh = open_store(url, check_schema=False)
    fresh.upgrade()
    fresh.close()
    rt = build_runtime(Settings(db=url), clock=VirtualClock(start), seed=SEED)
    try:
        publish(rt.store, rt.engine.catalog, workflow, start)
        rt.store.upsert_contacts(synthetic_contacts(contacts, seed=SEED, now=start), start)
        out = enroll(rt.store, rt.engine.catalog, workflow["key"], start, everyone=True)
        assert out.created == contacts
        rt.store.set_meta("virtual_now", repr(start))
    finally:
        rt.close()


def run_worker(url: str, env: dict[str, str] | None = None, timeout: float = 60.0) -> str:
    """A worker run to the end; returns its stdout (the JSON summary)."""
    done = subprocess.run(
        leadflow_cmd("worker", "--virtual-clock", "--db", url, "--json"),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"worker exited {done.returncode}\n{done.stderr}"
    return done.stdout


@dataclass
class Snapshot:
    live_runs: int
    leased_runs: int
    queued_messages: int
    in_doubt_messages: int
    pending_events: int
    steps: int

    @property
    def work_remains(self) -> bool:
        return bool(self.live_runs or self.queued_messages or self.pending_events)


def snapshot(path: Path) -> Snapshot:
    conn = sqlite3.connect(path)
    try:

        def one(sql: str) -> int:
            return int(conn.execute(sql).fetchone()[0] or 0)

        return Snapshot(
            live_runs=one("SELECT count(*) FROM runs WHERE status IN ('active', 'waiting')"),
            leased_runs=one(
                "SELECT count(*) FROM runs WHERE status IN ('active', 'waiting') "
                "AND lease_owner IS NOT NULL"
            ),
            queued_messages=one(
                "SELECT count(*) FROM messages WHERE status IN ('pending', 'deferred', 'sending')"
            ),
            in_doubt_messages=one("SELECT count(*) FROM messages WHERE status = 'sending'"),
            pending_events=one("SELECT count(*) FROM events WHERE processed_at IS NULL"),
            steps=one("SELECT count(*) FROM steps"),
        )
    finally:
        conn.close()


def virtual_now(store: Store) -> float:
    saved = store.get_meta("virtual_now")
    assert saved is not None
    return float(saved)


@dataclass
class Storm:
    kills: int = 0
    kills_with_work: int = 0
    kills_mid_dispatch: int = 0  # left messages in doubt (status sending)
    kills_mid_advance: int = 0  # left claimed, uncommitted runs
    natural_exits: int = 0
    lives: int = 0
    waves: int = 0
    contacts: int = 0
    batches: list[int] = field(default_factory=list)

    @property
    def restarts(self) -> int:
        return self.lives - 1


def top_up(url: str, pool: list[Contact], storm: Storm) -> None:
    """Enroll the next wave of contacts at the current virtual time."""
    wave = pool[storm.contacts : storm.contacts + WAVE]
    assert wave, "contact pool exhausted"
    rt = build_runtime(Settings(db=url), clock=VirtualClock(START))
    try:
        now = virtual_now(rt.store)
        rt.store.upsert_contacts(wave, now)
        out = enroll(rt.store, rt.engine.catalog, NURTURE["key"], now, everyone=True)
        assert out.created == len(wave), out
    finally:
        rt.close()
    storm.contacts += len(wave)
    storm.waves += 1


def wait_ready(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    assert proc.stdout is not None
    readable, _, _ = select.select([proc.stdout], [], [], timeout)
    assert readable, "worker did not start in time"
    line = proc.stdout.readline()
    assert line.strip() == b"ready", f"unexpected worker output {line!r}"


# ---------------------------------------------------------------------------------------- storm
def test_sigkill_storm_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    started = time.monotonic()
    path = tmp_path / "crash.db"
    url = db_url(path)
    rng = random.Random(SEED)
    pool = synthetic_contacts(POOL, seed=SEED, now=START)
    prepare(url, NURTURE, INITIAL_RUNS, START)
    storm = Storm(contacts=INITIAL_RUNS)
    final_summary = ""

    while True:
        assert storm.lives < MAX_LIVES, f"too many worker lives: {storm}"
        assert time.monotonic() - started < DEADLINE_S, f"crash test too slow: {storm}"
        last_life = storm.kills_with_work >= MIN_KILLS
        if not last_life and snapshot(path).live_runs < TOPUP_BELOW:
            top_up(url, pool, storm)
        batch = rng.choice(BATCHES)
        storm.batches.append(batch)
        env = dict(os.environ, LEADFLOW_BATCH=str(batch), LEADFLOW_DISPATCH_BATCH=str(batch))
        err_path = tmp_path / f"worker-{storm.lives}.err"
        with (
            err_path.open("wb") as err,
            subprocess.Popen(
                leadflow_cmd("worker", "--virtual-clock", "--db", url, "--json"),
                stdout=subprocess.PIPE,
                stderr=err,
                env=env,
            ) as proc,
        ):
            storm.lives += 1
            wait_ready(proc)
            if last_life:
                out, _ = proc.communicate(timeout=120)
                assert proc.returncode == 0, err_path.read_text()
                final_summary = out.decode()
                break
            try:
                proc.wait(timeout=rng.uniform(*KILL_AFTER))
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)  # a worker that just ended is a zombie: no-op
                proc.wait()
            state = snapshot(path)
            if proc.returncode == -signal.SIGKILL:
                storm.kills += 1
                storm.kills_with_work += state.work_remains
                storm.kills_mid_dispatch += state.in_doubt_messages > 0
                storm.kills_mid_advance += state.leased_runs > 0
            else:  # ended on its own before the kill: fine if nothing was left to do
                assert proc.returncode == 0, err_path.read_text()
                storm.natural_exits += 1
                assert not state.work_remains, state

    elapsed = time.monotonic() - started
    print(
        f"\ncrash storm: {storm.kills} SIGKILLs ({storm.kills_with_work} with work left, "
        f"{storm.kills_mid_dispatch} left messages in doubt, {storm.kills_mid_advance} left "
        f"claimed runs), {storm.restarts} restarts, {storm.natural_exits} early natural exits, "
        f"{storm.waves} top-up waves, {storm.contacts} runs, batches {storm.batches}, "
        f"{elapsed:.1f}s"
    )
    print(f"final worker: {final_summary.strip()}")
    assert storm.kills >= MIN_KILLS
    assert storm.kills_with_work >= MIN_KILLS
    check_outcome(path, url, storm.contacts)


def check_outcome(path: Path, url: str, expected_runs: int) -> None:
    store = open_store(url)
    try:
        assert store.count_contacts() == expected_runs
        assert store.count_runs(NURTURE["key"]) == {"completed": expected_runs}
        runs = store.list_runs(RunFilter(limit=expected_runs + 1))
        assert len(runs) == expected_runs
        assert len({r.contact_id for r in runs}) == expected_runs, "a contact got two runs"
        assert all(r.error is None for r in runs)
        assert store.pending_events_count() == 0

        messages = store.list_messages(MessageFilter(limit=10 * expected_runs))
        ledger = {d.idempotency_key: d for d in store.sandbox_deliveries()}
    finally:
        store.close()

    expected_messages = expected_runs * len(SEND_NODES)
    assert len(messages) == expected_messages
    assert len(ledger) == expected_messages, "deliveries != runs x sends per run"
    assert [k for k, d in ledger.items() if d.duplicates > 0] == [], "duplicate deliveries"
    by_run: dict[int, list[str]] = defaultdict(list)
    for m in messages:
        assert m.status == "delivered", (m.idempotency_key, m.status, m.error)
        assert m.idempotency_key in ledger, f"{m.idempotency_key} not delivered"
        assert m.duplicates == 0
        assert m.provider_id == ledger[m.idempotency_key].provider_id
        assert m.run_id is not None and m.node is not None
        by_run[m.run_id].append(m.node)
    assert all(sorted(nodes) == sorted(SEND_NODES) for nodes in by_run.values())
    assert len(by_run) == expected_runs

    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT run_id, step_seq, node, outcome, started_at, due_at, error FROM steps "
            "ORDER BY run_id, step_seq"
        ).fetchall()
    finally:
        conn.close()
    steps: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        steps[row[0]].append(row)
    assert len(steps) == expected_runs
    for run_id, history in steps.items():
        seqs = [s[1] for s in history]
        assert seqs == list(range(1, len(seqs) + 1)), f"run {run_id}: step numbers {seqs}"
        failed = [s for s in history if s[6] is not None or s[3] in FAILED_OUTCOMES]
        assert failed == [], f"run {run_id}: a step failed"
        for node, duration in WAIT_NODES.items():
            here = [s for s in history if s[2] == node]
            outcomes = [s[3] for s in here]
            assert outcomes == ["waiting", "timer"], f"run {run_id} {node}: {outcomes}"
            waiting, timer = here
            assert timer[5] is not None and timer[4] >= timer[5], f"run {run_id}: early timer"
            if duration is not None:
                assert timer[5] == pytest.approx(waiting[4] + duration)
        for node in SEND_NODES:
            outcomes = [s[3] for s in history if s[2] == node]
            assert outcomes[-1:] == ["queued"], f"run {run_id} {node}: {outcomes}"
            assert set(outcomes[:-1]) <= {"deferred:quiet_hours"}, outcomes
        assert [s[3] for s in history if s[2] == "check"] == ["case:0"]


# ---------------------------------------------------------------------------------------- in doubt
# A worker that delivers exactly one message and then SIGKILLs itself: the crash lands between
# the provider's answer and the commit of the verdict, the worst moment for idempotency.
DOOMED_WORKER = """
import os, signal, sys
from leadflow.clock import VirtualClock
from leadflow.runtime import build_runtime
from leadflow.settings import Settings

class DieAfterFirstSend:
    def __init__(self, inner):
        self.inner = inner
    def send(self, message, now):
        result = self.inner.send(message, now)
        os.kill(os.getpid(), signal.SIGKILL)
        return result
    def lookup(self, key):
        return self.inner.lookup(key)

rt = build_runtime(Settings(db=sys.argv[1]), clock=VirtualClock(float(sys.argv[2])))
rt.providers["sms"] = DieAfterFirstSend(rt.providers["sms"])
rt.worker("doomed").run(virtual=True)
"""
IN_DOUBT_START = datetime(2026, 1, 5, 18, 0, tzinfo=UTC).timestamp()  # daytime in every US zone


def _sms_then(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    first = {"id": "sms", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"}
    if nodes:
        first["next"] = nodes[0]["id"]
    return {"key": "in-doubt", "name": "In doubt", "start": "sms", "nodes": [first, *nodes]}


def _kill_mid_dispatch(tmp_path: Path, workflow: dict[str, Any], contacts: int) -> str:
    url = db_url(tmp_path / "doubt.db")
    prepare(url, workflow, contacts, IN_DOUBT_START)
    doomed = subprocess.run(
        [sys.executable, "-c", DOOMED_WORKER, url, repr(IN_DOUBT_START)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert doomed.returncode == -signal.SIGKILL, doomed.stderr
    store = open_store(url)
    try:
        in_doubt = store.list_messages(MessageFilter(status="sending"))
        assert len(in_doubt) == contacts  # the whole dispatch batch was claimed
        assert len(store.sandbox_deliveries()) == 1  # one went out before the crash
    finally:
        store.close()
    return url


def _check_in_doubt_reconciled(url: str, contacts: int, sends_per_run: int) -> None:
    store = open_store(url)
    try:
        ledger = store.sandbox_deliveries()
        messages = store.list_messages(MessageFilter(limit=1000))
        first = ledger[0]
        assert first.delivered_at == IN_DOUBT_START
    finally:
        store.close()
    assert [m.status for m in messages] == ["delivered"] * contacts * sends_per_run
    assert len(ledger) == contacts * sends_per_run
    assert [d.duplicates for d in ledger] == [0] * len(ledger)
    reconciled = next(m for m in messages if m.idempotency_key == first.idempotency_key)
    assert reconciled.provider_id == first.provider_id
    assert reconciled.attempts == 0  # recorded from the provider's ledger, not sent again


def test_in_doubt_messages_after_sigkill_mid_dispatch_are_reconciled(tmp_path: Path) -> None:
    """The run goes on after its text (a 10-minute wait, then an e-mail), so the restarted
    worker's virtual clock passes the dead worker's lease and it takes the in-doubt messages
    over: the one delivered before the crash is looked up, not sent again."""
    workflow = _sms_then(
        [
            {"id": "wait", "kind": "wait", "duration": "10m", "next": "email"},
            {"id": "email", "kind": "send_email", "subject": "Hello", "body": "Hi"},
        ]
    )
    url = _kill_mid_dispatch(tmp_path, workflow, contacts=3)
    run_worker(url)
    _check_in_doubt_reconciled(url, contacts=3, sends_per_run=2)


def test_in_doubt_messages_are_not_left_behind_when_nothing_else_is_due(tmp_path: Path) -> None:
    """Nothing but the in-doubt texts is left: the restarted worker must still wait out the dead
    worker's lease (virtual time) and reconcile them, not stop with them 'sending'."""
    url = _kill_mid_dispatch(tmp_path, _sms_then([]), contacts=3)
    run_worker(url)
    _check_in_doubt_reconciled(url, contacts=3, sends_per_run=1)


def test_virtual_clock_resumes_saved_moment_behind_wall_clock(tmp_path: Path) -> None:
    past = START
    assert past < time.time()
    url = db_url(tmp_path / "resume.db")
    workflow = {
        "key": "resume",
        "name": "Resume",
        "start": "wait",
        "nodes": [{"id": "wait", "kind": "wait", "duration": "1h"}],
    }
    prepare(url, workflow, 1, past)
    run_worker(url)
    store = open_store(url)
    try:
        (run,) = store.list_runs(RunFilter())
        entered, fired = store.run_steps(run.id)
        assert (entered.outcome, fired.outcome) == ("waiting", "timer")
        assert entered.started_at == past
        assert fired.started_at == past + 3600
        assert virtual_now(store) == past + 3600  # and it stays there, not at today's date
    finally:
        store.close()
