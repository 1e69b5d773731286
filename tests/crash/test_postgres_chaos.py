"""Chaos test on PostgreSQL: several ``leadflow worker --virtual-clock`` processes at once on one
database, SIGKILLed at seeded random moments and restarted, until all the work is done.

The PostgreSQL sibling of ``test_worker_sigkill.py`` (the same ``lf_storm`` harness: launcher,
kill timing from a ``ready`` marker, top-up waves), with ``WORKERS`` processes sharing one fresh
database. Each worker keeps its own virtual clock in memory (they share only ``virtual_now`` in
the meta table) and jumps it to the next due moment, so a worker may stop early, seeing nothing
due while another still holds leases: the harness therefore restarts workers until the database
shows no open work (no live run, no queued or in-doubt message, no unprocessed event), then lets
one last worker run and exit on its own with code 0. The end checks: every run completed, exactly
one delivery per expected message in the sandbox ledger and no duplicates, every outbox message
delivered, every wait left by its timer after it was entered. Messages delivered twice are a
known product bug (``DUPLICATES_BUG``): when the storm hits it, the test ends as an expected
failure listing them (every other check still fails for real), and a deterministic two-worker
reproducer below is marked ``xfail(strict=True)``.

The database is made empty and upgraded by the test, and dropped at the end (the contract
suite's ``lf_postgres`` provides the server settings and the CI policy: an unreachable server
fails under CI and skips elsewhere).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lf_storm import (
    SEND_NODES,
    WAIT_NODES,
    Storm,
    StormPlan,
    check_messages,
    check_runs,
    check_steps,
    load_outcome,
    nurture,
    prepare,
)

from leadflow.clock import VirtualClock
from leadflow.engine.workflows import enroll, publish
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.simulate.leads import synthetic_contacts
from leadflow.store.factory import open_store
from leadflow.store.records import Contact, MessageFilter

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
POOL = 3000
PLAN = StormPlan(
    workflow_key="pg-chaos",
    workers=WORKERS,
    min_kills=MIN_KILLS,
    kill_after=(0.05, 0.6),  # seconds of worker life (after "ready") before SIGKILL
    wave=150,  # contacts added when the live runs run low before MIN_KILLS
    topup_below=100,
    max_lives=400,
    deadline_s=150.0,
    start=START,
)
NURTURE = nurture(PLAN.workflow_key, "PostgreSQL chaos nurture")
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


# ---------------------------------------------------------------------------------------- chaos
def test_postgres_workers_sigkill_chaos_loses_nothing_and_sends_nothing_twice(
    pg_url: str, tmp_path: Path
) -> None:
    url = pg_url
    pool = synthetic_contacts(POOL, seed=SEED, now=START)
    prepare(url, NURTURE, INITIAL_RUNS, START, SEED)
    with Storm(url, PLAN, pool, INITIAL_RUNS, random.Random(SEED), tmp_path) as storm:
        # Storm: WORKERS processes at once, each killed at a random moment after it is ready and
        # replaced at once, until MIN_KILLS kills hit while work remained.
        storm.storm()
        # Calm: no more kills. Let the workers end on their own; while the database still shows
        # open work (a worker may stop early while another holds leases), start a new round.
        storm.calm()
        # One last worker: nothing left to do, it must exit on its own with 0.
        out = storm.idle_worker()
    chaos = storm.stats

    print(
        f"\npostgres chaos: {WORKERS} workers at once, {chaos.kills} SIGKILLs "
        f"({chaos.kills_with_work} with work left), {chaos.restarts} restarts, "
        f"{chaos.natural_exits} natural exits, {chaos.rounds_after_storm} extra rounds after "
        f"the storm, {chaos.waves} top-up waves, {chaos.contacts} runs, {storm.elapsed:.1f}s"
    )
    print(f"final worker: {out.strip()[-400:]}")
    assert chaos.kills >= MIN_KILLS
    check_outcome(url, chaos.contacts)


def check_outcome(url: str, expected_runs: int) -> None:
    o = load_outcome(url, PLAN.workflow_key, expected_runs)
    check_runs(o)
    check_messages(o, SEND_NODES, duplicates_fail=False)  # duplicates: reported below
    check_steps(o, dict.fromkeys(WAIT_NODES), SEND_NODES)  # no fixed duration checked here

    ledger, messages, steps = o.ledger, o.messages, o.steps
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
