"""Chaos test on PostgreSQL: several ``leadflow worker --virtual-clock`` processes at once on one
database, SIGKILLed at seeded random moments and restarted, until all the work is done.

The PostgreSQL sibling of ``test_worker_sigkill.py`` (same launcher, kill timing from a ``ready``
marker, top-up waves), with ``WORKERS`` processes sharing one fresh database. Each worker keeps
its own virtual clock in memory (they share only ``virtual_now`` in the meta table) and jumps it
to the next due moment, so a worker may stop early, seeing nothing due while another still holds
leases: the harness therefore restarts workers until the database shows no open work (no live
run, no queued or in-doubt message, no unprocessed event), then lets one last worker run and exit
on its own with code 0. The end checks: every run completed, exactly one delivery per expected
message in the sandbox ledger and no duplicates, every outbox message delivered, every wait left
by its timer after it was entered. Messages delivered twice are a known product bug
(``DUPLICATES_BUG``): when the storm hits it, the test ends as an expected failure listing them
(every other check still fails for real), and a deterministic two-worker reproducer below is
marked ``xfail(strict=True)``.

The database is made empty and upgraded by the test, and dropped at the end (the contract
suite's ``lf_postgres`` provides the server settings and the CI policy: an unreachable server
fails under CI and skips elsewhere).
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
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
from leadflow.store.factory import open_store
from leadflow.store.records import Contact, MessageFilter, RunFilter

_CONTRACT = str(Path(__file__).resolve().parents[1] / "contract")
if _CONTRACT not in sys.path:
    sys.path.append(_CONTRACT)
from lf_postgres import DATABASES, ENABLED, in_ci  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ENABLED, reason="PostgreSQL turned off by LEADFLOW_TEST_POSTGRES=0"),
]

# Monday 2026-01-05 15:00 UTC: 10:00 in New York, 7:00 in Los Angeles (quiet hours there).
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC).timestamp()
SEED = 20251121
WORKERS = 4
MIN_KILLS = 24  # SIGKILLs while work remained
INITIAL_RUNS = 300
WAVE = 150  # contacts added when the live runs run low before MIN_KILLS
TOPUP_BELOW = 100
POOL = 3000
KILL_AFTER = (0.05, 0.6)  # seconds of worker life (after "ready") before SIGKILL
BATCHES = (1, 2, 3, 5, 20)  # LEADFLOW_BATCH / LEADFLOW_DISPATCH_BATCH, drawn per life
MAX_LIVES = 400
DEADLINE_S = 150.0

LAUNCHER = (
    "import sys\n"
    "from leadflow.cli.app import main\n"
    "print('ready', flush=True)\n"
    "sys.argv[0] = 'leadflow'\n"
    "main()\n"
)

NURTURE: dict[str, Any] = {
    "key": "pg-chaos",
    "name": "PostgreSQL chaos nurture",
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
        },
    ],
}
SEND_NODES = ("welcome_sms", "email", "followup_sms")
WAIT_NODES = ("wait_1h", "next_morning")
# Why the zero-duplicate check is an imperative xfail and not an xfail(strict=True) marker: the
# duplicates depend on timing (about half of the runs here show 1-30 of them, the others none), so
# a strict marker would make the suite flaky; every other check still fails the test for real.
DUPLICATES_BUG = (
    "product bug: several `leadflow worker --virtual-clock` processes on one database deliver "
    "some messages twice. An idle virtual worker that sees due work it cannot claim (a message "
    "another live worker is sending) steps its own clock +1 s per pass (Worker.run, "
    "engine/worker.py ~l.113-122), so within milliseconds of wall time its clock passes the "
    "peer's 60 s lease; claim_messages then takes the 'sending' message over as in doubt, the "
    "provider lookup finds nothing yet and it sends; the live owner sends too, and "
    "update_messages does not check lease_owner, so both verdicts are committed."
)
FAILED_OUTCOMES = frozenset({"retry", "on_error", "failed"})


# ---------------------------------------------------------------------------------------- helpers
@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards)."""
    if not DATABASES.available():
        message = f"PostgreSQL is not reachable: {DATABASES.problem}"
        if in_ci():
            pytest.fail(f"{message} (CI is set: the PostgreSQL backend must be tested)")
        pytest.skip(message)
    url = DATABASES.empty()
    try:
        yield url
    finally:
        DATABASES.drop(url)  # at once, or in the background when a session fixture waits


def leadflow_cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", LAUNCHER, *args]


def prepare(url: str, contacts: int) -> None:
    fresh = open_store(url, check_schema=False)
    fresh.upgrade()
    fresh.close()
    rt = build_runtime(Settings(db=url), clock=VirtualClock(START), seed=SEED)
    try:
        publish(rt.store, rt.engine.catalog, NURTURE, START)
        rt.store.upsert_contacts(synthetic_contacts(contacts, seed=SEED, now=START), START)
        out = enroll(rt.store, rt.engine.catalog, NURTURE["key"], START, everyone=True)
        assert out.created == contacts
        rt.store.set_meta("virtual_now", repr(START))
    finally:
        rt.close()


@dataclass
class Snapshot:
    live_runs: int
    queued_messages: int
    pending_events: int

    @property
    def work_remains(self) -> bool:
        return bool(self.live_runs or self.queued_messages or self.pending_events)


def snapshot(url: str) -> Snapshot:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()  # type: ignore[arg-type]
            assert row is not None
            return int(row[0] or 0)

        return Snapshot(
            live_runs=one("SELECT count(*) FROM runs WHERE status IN ('active', 'waiting')"),
            queued_messages=one(
                "SELECT count(*) FROM messages WHERE status IN ('pending', 'deferred', 'sending')"
            ),
            pending_events=one("SELECT count(*) FROM events WHERE processed_at IS NULL"),
        )


@dataclass
class Chaos:
    kills: int = 0
    kills_with_work: int = 0
    natural_exits: int = 0
    lives: int = 0
    waves: int = 0
    contacts: int = 0
    rounds_after_storm: int = 0
    batches: list[int] = field(default_factory=list)

    @property
    def restarts(self) -> int:
        return self.lives - WORKERS


def top_up(url: str, pool: list[Contact], chaos: Chaos) -> None:
    """Enroll the next wave of contacts at the shared virtual time."""
    wave = pool[chaos.contacts : chaos.contacts + WAVE]
    assert wave, "contact pool exhausted"
    rt = build_runtime(Settings(db=url), clock=VirtualClock(START))
    try:
        saved = rt.store.get_meta("virtual_now")
        assert saved is not None
        now = float(saved)
        rt.store.upsert_contacts(wave, now)
        out = enroll(rt.store, rt.engine.catalog, NURTURE["key"], now, everyone=True)
        assert out.created == len(wave), out
    finally:
        rt.close()
    chaos.contacts += len(wave)
    chaos.waves += 1


@dataclass
class Life:
    proc: subprocess.Popen[bytes]
    err: Path
    ready_at: float | None = None
    kill_at: float | None = None


def start_worker(url: str, tmp_path: Path, rng: random.Random, chaos: Chaos) -> Life:
    batch = rng.choice(BATCHES)
    chaos.batches.append(batch)
    env = dict(os.environ, LEADFLOW_BATCH=str(batch), LEADFLOW_DISPATCH_BATCH=str(batch))
    err = tmp_path / f"worker-{chaos.lives}.err"
    with err.open("wb") as handle:
        proc = subprocess.Popen(
            leadflow_cmd("worker", "--virtual-clock", "--db", url, "--json"),
            stdout=subprocess.PIPE,
            stderr=handle,
            env=env,
        )
    chaos.lives += 1
    return Life(proc, err)


def reap(life: Life, chaos: Chaos) -> None:
    """A worker that ended on its own: it must have exited cleanly."""
    life.proc.communicate()
    assert life.proc.returncode == 0, (
        f"worker exited {life.proc.returncode}: {life.err.read_text()}"
    )
    chaos.natural_exits += 1


def mark_ready(life: Life, rng: random.Random, kill: bool) -> None:
    assert life.proc.stdout is not None
    line = life.proc.stdout.readline()
    assert line.strip() == b"ready", f"unexpected worker output {line!r}"
    life.ready_at = time.monotonic()
    if kill:
        life.kill_at = life.ready_at + rng.uniform(*KILL_AFTER)


# ---------------------------------------------------------------------------------------- chaos
def test_postgres_workers_sigkill_chaos_loses_nothing_and_sends_nothing_twice(
    pg_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    url = pg_url
    rng = random.Random(SEED)
    pool = synthetic_contacts(POOL, seed=SEED, now=START)
    prepare(url, INITIAL_RUNS)
    chaos = Chaos(contacts=INITIAL_RUNS)
    lives: list[Life] = []

    try:
        # Storm: WORKERS processes at once, each killed at a random moment after it is ready and
        # replaced at once, until MIN_KILLS kills hit while work remained.
        while chaos.kills_with_work < MIN_KILLS:
            assert chaos.lives < MAX_LIVES, f"too many worker lives: {chaos}"
            assert time.monotonic() - started < DEADLINE_S, f"chaos test too slow: {chaos}"
            while len(lives) < WORKERS:
                if snapshot(url).live_runs < TOPUP_BELOW:
                    top_up(url, pool, chaos)
                lives.append(start_worker(url, tmp_path, rng, chaos))
            starting = [lf.proc.stdout for lf in lives if lf.ready_at is None]
            readable, _, _ = select.select(starting, [], [], 0.01) if starting else ([], [], [])
            for life in lives:
                if life.ready_at is None and life.proc.stdout in readable:
                    mark_ready(life, rng, kill=True)
            now = time.monotonic()
            for life in list(lives):
                if life.proc.poll() is not None:
                    reap(life, chaos)
                    lives.remove(life)
                elif life.kill_at is not None and now >= life.kill_at:
                    os.kill(life.proc.pid, signal.SIGKILL)
                    life.proc.communicate()
                    lives.remove(life)
                    if life.proc.returncode == -signal.SIGKILL:
                        chaos.kills += 1
                        chaos.kills_with_work += snapshot(url).work_remains
                    else:  # ended on its own just before the kill
                        assert life.proc.returncode == 0, life.err.read_text()
                        chaos.natural_exits += 1
            if not starting:
                time.sleep(0.005)

        # Calm: no more kills. Let the workers end on their own; while the database still shows
        # open work (a worker may stop early while another holds leases), start a new round.
        while True:
            assert time.monotonic() - started < DEADLINE_S, f"chaos test too slow: {chaos}"
            for life in lives:
                if life.ready_at is None:
                    mark_ready(life, rng, kill=False)
            for life in lives:
                life.proc.wait(timeout=max(1.0, DEADLINE_S - (time.monotonic() - started)))
                reap(life, chaos)
            lives = []
            if not snapshot(url).work_remains:
                break
            chaos.rounds_after_storm += 1
            assert chaos.lives < MAX_LIVES, f"too many worker lives: {chaos}"
            lives = [start_worker(url, tmp_path, rng, chaos) for _ in range(WORKERS)]

        # One last worker: nothing left to do, it must exit on its own with 0.
        final = start_worker(url, tmp_path, rng, chaos)
        lives = [final]
        out, _ = final.proc.communicate(timeout=60)
        lives = []
        assert final.proc.returncode == 0, final.err.read_text()
        chaos.natural_exits += 1
    finally:
        for life in lives:
            if life.proc.poll() is None:
                os.kill(life.proc.pid, signal.SIGKILL)
            life.proc.communicate()

    elapsed = time.monotonic() - started
    print(
        f"\npostgres chaos: {WORKERS} workers at once, {chaos.kills} SIGKILLs "
        f"({chaos.kills_with_work} with work left), {chaos.restarts} restarts, "
        f"{chaos.natural_exits} natural exits, {chaos.rounds_after_storm} extra rounds after "
        f"the storm, {chaos.waves} top-up waves, {chaos.contacts} runs, {elapsed:.1f}s"
    )
    print(f"final worker: {out.decode().strip()[-400:]}")
    assert chaos.kills >= MIN_KILLS
    check_outcome(url, chaos.contacts)


def check_outcome(url: str, expected_runs: int) -> None:
    import psycopg

    store = open_store(url)
    try:
        assert store.count_contacts() == expected_runs
        runs = store.list_runs(RunFilter(limit=expected_runs + 1))
        statuses = {r.status for r in runs}
        assert store.count_runs(NURTURE["key"]) == {"completed": expected_runs}, statuses
        assert len(runs) == expected_runs
        assert len({r.contact_id for r in runs}) == expected_runs, "a contact got two runs"
        assert all(r.error is None for r in runs)
        assert store.pending_events_count() == 0
        messages = store.list_messages(MessageFilter(limit=10 * expected_runs))
        ledger = {d.idempotency_key: d for d in store.sandbox_deliveries()}
    finally:
        store.close()

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT run_id, step_seq, node, outcome, started_at, due_at, error FROM steps "
            "ORDER BY run_id, step_seq, id"
        ).fetchall()
    steps: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        steps[row[0]].append(row)

    expected_messages = expected_runs * len(SEND_NODES)
    assert len(messages) == expected_messages
    assert len(ledger) == expected_messages, "deliveries != runs x sends per run"
    by_run: dict[int, list[str]] = defaultdict(list)
    for m in messages:
        assert m.status == "delivered", (m.idempotency_key, m.status, m.error)
        assert m.idempotency_key in ledger, f"{m.idempotency_key} not delivered"
        if not ledger[m.idempotency_key].duplicates:  # duplicates: reported below
            assert m.provider_id == ledger[m.idempotency_key].provider_id
        assert m.run_id is not None and m.node is not None
        by_run[m.run_id].append(m.node)
    assert len(by_run) == expected_runs
    assert all(sorted(nodes) == sorted(SEND_NODES) for nodes in by_run.values())

    assert len(steps) == expected_runs
    for run_id, history in steps.items():
        seqs = [s[1] for s in history]
        assert seqs == list(range(1, len(seqs) + 1)), f"run {run_id}: step numbers {seqs}"
        failed = [s for s in history if s[6] is not None or s[3] in FAILED_OUTCOMES]
        assert failed == [], f"run {run_id}: a step failed: {failed}"
        for node in WAIT_NODES:
            here = [s for s in history if s[2] == node]
            outcomes = [s[3] for s in here]
            assert outcomes == ["waiting", "timer"], f"run {run_id} {node}: {history}"
            waiting, timer = here
            assert timer[1] > waiting[1]
            assert timer[5] is not None and timer[4] >= timer[5], f"run {run_id}: early timer"
        for node in SEND_NODES:
            outcomes = [s[3] for s in history if s[2] == node]
            assert outcomes[-1:] == ["queued"], f"run {run_id} {node}: {outcomes}"

    duplicated = {k: d.duplicates for k, d in ledger.items() if d.duplicates > 0}
    if duplicated:
        by_key = {m.idempotency_key: m for m in messages}
        details = []
        for key in sorted(duplicated)[:5]:
            m, d = by_key.get(key), ledger[key]
            run_steps = steps.get(m.run_id, []) if m is not None and m.run_id else []
            seen = (
                None
                if m is None
                else (m.status, m.attempts, m.due_at, m.sent_at, m.delivered_at, m.provider_id)
            )
            details.append(
                f"{key} delivered {duplicated[key] + 1}x (ledger: first at {d.delivered_at}, "
                f"{d.provider_id}); message (status, attempts, due, sent, delivered, "
                f"provider id) {seen}; steps (run, seq, node, outcome, at, due, error) "
                f"{[s[1:6] for s in run_steps]}"
            )
        # Known product bug (see DUPLICATES_BUG): reported as an expected failure, with details.
        pytest.xfail(
            f"{DUPLICATES_BUG}\n{len(duplicated)} messages delivered more than once:\n"
            + "\n".join(details)
        )
    assert [m.idempotency_key for m in messages if m.duplicates] == []


# ---------------------------------------------------------------------------------- reproducer
class PeerRunsDuringSend:
    """An SMS provider that, on its first send, lets a second virtual-clock worker (``peer``) run
    on the same database before delivering: what a concurrent ``leadflow worker
    --virtual-clock`` process does while this one is between its claim and its send."""

    def __init__(self, inner: Any, peer: Any, until: float) -> None:
        self.inner, self.peer, self.until = inner, peer, until
        self.peer_ran = False

    def send(self, message: Any, now: float) -> Any:
        if not self.peer_ran:
            self.peer_ran = True
            self.peer.run(virtual=True, until=self.until)
        return self.inner.send(message, now)

    def lookup(self, key: str) -> Any:
        return self.inner.lookup(key)


@pytest.mark.xfail(strict=True, reason=DUPLICATES_BUG)
def test_virtual_worker_does_not_take_over_a_live_peers_message(pg_url: str) -> None:
    """Deterministic form of the chaos test's duplicates: worker ``b`` claims the text (lease
    until t+60 s) and, before it sends, worker ``a`` runs in virtual mode from t. ``a`` cannot
    claim the leased text, steps its clock past the lease (+1 s per pass) and takes it over as in
    doubt; ``b`` then sends it too."""
    t = datetime(2026, 1, 5, 18, 0, tzinfo=UTC).timestamp()  # daytime in every US zone
    workflow = {
        "key": "peer",
        "name": "Peer",
        "start": "sms",
        "nodes": [{"id": "sms", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"}],
    }
    fresh = open_store(pg_url, check_schema=False)
    fresh.upgrade()
    fresh.close()
    rt_a = build_runtime(Settings(db=pg_url), clock=VirtualClock(t), seed=1)
    rt_b = build_runtime(Settings(db=pg_url), clock=VirtualClock(t), seed=2)
    try:
        publish(rt_b.store, rt_b.engine.catalog, workflow, t)
        contact = Contact(
            "c1",
            first_name="Ann",
            phone="+14155550100",
            email="ann@example.com",
            time_zone="America/New_York",
        )
        rt_b.store.upsert_contacts([contact], t)
        assert enroll(rt_b.store, rt_b.engine.catalog, "peer", t, everyone=True).created == 1
        rt_b.store.set_meta("virtual_now", repr(t))
        provider = PeerRunsDuringSend(rt_b.providers["sms"], rt_a.worker("a"), t + 600)
        rt_b.providers["sms"] = provider
        worker_b = rt_b.worker("b")
        for _ in range(5):  # advance the run (queues the text), then dispatch it
            worker_b.tick(t)
        assert provider.peer_ran
        ledger = rt_b.store.sandbox_deliveries()
        messages = rt_b.store.list_messages(MessageFilter())
    finally:
        rt_a.close()
        rt_b.close()
    assert [m.status for m in messages] == ["delivered"]
    assert [(d.idempotency_key, d.duplicates) for d in ledger] == [(messages[0].idempotency_key, 0)]
