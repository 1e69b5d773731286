"""Crash tests: ``leadflow worker --virtual-clock`` processes killed with SIGKILL and restarted.

The storm test (harness: ``support.storm``) kills a real worker process at seeded random moments
(0.05-0.5 s after it has imported leadflow) at least ``MIN_KILLS`` times while work remains,
restarts it on the same SQLite file each time (the virtual time lives in the meta
``virtual_now``), and finally lets a worker run until it exits on its own with code 0 (a worker
that ends on its own must leave nothing to do: it is the only one). Then it reads the database
and checks what the engine promises: no run lost or stuck, exactly one delivery per message (the
sandbox ledger counts any second attempt as a duplicate), every outbox message delivered, every
timer fired once, after its wait was entered and not before it was due, and step numbers without
gaps or repeats.

The worker is started through ``support.storm``'s launcher, which prints ``ready`` once leadflow is
imported, so kills are timed from the moment the worker can do work. If fewer runs than
``TOPUP_BELOW`` are still live before a restart and not enough kills were done yet, a wave of new
contacts is enrolled (at the current virtual time), so a fast machine cannot run out of work
before ``MIN_KILLS``.

The in-doubt tests kill a worker (SIGKILL, from inside its provider) right after a delivery and
before its verdict is committed, then check a restarted ``leadflow worker --virtual-clock``
reconciles instead of sending again. A last test checks a restarted worker resumes at the
stored virtual moment even when that moment is behind the wall clock.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadflow.model.records import MessageFilter, RunFilter
from leadflow.simulate.leads import synthetic_contacts
from leadflow.store.factory import open_store
from support.storm import (
    SEND_NODES,
    Storm,
    StormPlan,
    check_messages,
    check_runs,
    check_steps,
    leadflow_cmd,
    load_outcome,
    nurture,
    prepare,
    virtual_now,
)

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

# Virtual start: Monday 2026-01-05 15:00 UTC (10:00 in New York, 7:00 in Los Angeles, so western
# leads' first texts are deferred for quiet hours). A realistic date, in the past: `leadflow worker
# --virtual-clock` resumes at the stored virtual_now whatever the wall clock says (see
# test_virtual_clock_resumes_saved_moment_behind_wall_clock).
START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC).timestamp()
SEED = 20240917
MIN_KILLS = 20
INITIAL_RUNS = 300
POOL = 16000  # synthetic contacts available for the initial batch and the waves
PLAN = StormPlan(
    workflow_key="crash-nurture",
    workers=1,
    min_kills=MIN_KILLS,
    kill_after=(0.05, 0.5),  # seconds of worker life (after "ready") before SIGKILL
    wave=400,  # contacts added when the live runs run low before MIN_KILLS
    topup_below=300,
    max_lives=120,
    deadline_s=150.0,
    start=START,
)

NURTURE = nurture(
    PLAN.workflow_key,
    "Crash nurture",
    tail=[
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
)
CRASH_SEND_NODES = (*SEND_NODES, "call")
WAIT_NODES = {"wait_1h": 3600.0, "next_morning": None}  # node -> exact duration if fixed


# ---------------------------------------------------------------------------------------- helpers
def db_url(path: Path) -> str:
    return f"sqlite:///{path}"  # absolute path: sqlite:////tmp/...


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


# ---------------------------------------------------------------------------------------- storm
def test_sigkill_storm_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    url = db_url(tmp_path / "crash.db")
    pool = synthetic_contacts(POOL, seed=SEED, now=START)
    prepare(url, NURTURE, INITIAL_RUNS, START, SEED)
    with Storm(url, PLAN, pool, INITIAL_RUNS, random.Random(SEED), tmp_path) as storm:
        storm.storm()
        final_summary = storm.calm()  # one worker: the last life does the rest and exits 0
    stats = storm.stats

    print(
        f"\ncrash storm: {stats.kills} SIGKILLs ({stats.kills_with_work} with work left, "
        f"{stats.kills_mid_dispatch} left messages in doubt, {stats.kills_mid_advance} left "
        f"claimed runs), {stats.restarts} restarts, {stats.natural_exits} natural exits, "
        f"{stats.waves} top-up waves, {stats.contacts} runs, batches {stats.batches}, "
        f"{storm.elapsed:.1f}s"
    )
    print(f"final worker: {final_summary.strip()}")
    assert stats.kills >= MIN_KILLS
    assert stats.kills_with_work >= MIN_KILLS
    check_outcome(url, stats.contacts)


def check_outcome(url: str, expected_runs: int) -> None:
    outcome = load_outcome(url, PLAN.workflow_key, expected_runs)
    check_runs(outcome)
    check_messages(outcome, CRASH_SEND_NODES, duplicates_fail=True)
    check_steps(
        outcome, WAIT_NODES, CRASH_SEND_NODES, deferrals=frozenset({"deferred:quiet_hours"})
    )
    for history in outcome.steps.values():
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
rt.worker().run(virtual=True)  # a real owner id: host:pid:space:nonce
"""
IN_DOUBT_START = datetime(2026, 1, 5, 18, 0, tzinfo=UTC).timestamp()  # daytime in every US zone


def _sms_then(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    first = {"id": "sms", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"}
    if nodes:
        first["next"] = nodes[0]["id"]
    return {"key": "in-doubt", "name": "In doubt", "start": "sms", "nodes": [first, *nodes]}


def _kill_mid_dispatch(tmp_path: Path, workflow: dict[str, Any], contacts: int) -> str:
    url = db_url(tmp_path / "doubt.db")
    prepare(url, workflow, contacts, IN_DOUBT_START, SEED)
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
    prepare(url, workflow, 1, past, SEED)
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
