"""Crash test for automation rules: ``leadflow worker --virtual-clock`` processes killed with
SIGKILL in the middle of their event batches, and restarted, until every event is processed.

Two rules act on waves of 1,200 ``lead.updated`` events (one per new contact; a wave is added
whenever the workers ran out of work before enough kills): one enrols the contact in a workflow
whose re-entry policy is ``always`` (so an enrolment made twice would show as a second run) and
emits an event; the other, lower in priority, adds a tag and emits another event. Small batches
(``LEADFLOW_BATCH`` 5 to 20) mean many transactions a second, so a kill lands anywhere in a
batch, for instance after its firings are recorded and before its events are marked processed
(the next worker sees the batch again). At the end: exactly one firing per (event, rule) pair
(none lost, none twice), exactly one run per firing of the enrolling rule, exactly one emitted
event per firing, each naming its source event once."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from leadflow.clock import VirtualClock
from leadflow.engine.workflows import publish
from leadflow.model.automation import RuleSpec
from leadflow.model.records import Contact, NewEvent, RunFilter
from leadflow.model.tenancy import Tenant
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store.factory import open_store
from support.stores import upgraded_db
from support.storm import worker_cmd

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

T0 = 1_767_290_400.0
WAVE = 1200
MAX_WAVES = 8
MIN_KILLS = 4
MANY = 10**6
COUNT_ME = {
    "key": "count-me",
    "name": "Count me",
    "triggers": [{"type": "manual"}],
    "start": "done",
    "nodes": [{"id": "done", "kind": "exit", "reason": "counted"}],
    "settings": {"reentry": {"policy": "always"}},
}


def _prepare(url: str) -> tuple[int, int]:
    rt = build_runtime(Settings(db=url), clock=VirtualClock(T0))
    try:
        s = rt.store
        s.create_tenant(Tenant("acme", "Acme"), T0)
        publish(s, rt.engine.catalog, COUNT_ME, T0, rt.engine.registry, tenant_id="acme")
        enrol = s.create_rule(
            "acme",
            RuleSpec(
                "count every update",
                "lead.updated",
                [
                    {"kind": "enroll", "workflow": "count-me"},
                    {"kind": "emit_event", "type": "lead.counted"},
                ],
                priority=5,
            ),
            True,
            T0,
        )
        tag = s.create_rule(
            "acme",
            RuleSpec(
                "tag and note",
                "lead.updated",
                [{"kind": "add_tag", "tag": "seen"}, {"kind": "emit_event", "type": "lead.noted"}],
            ),
            True,
            T0,
        )
        return enrol.id, tag.id
    finally:
        rt.close()


def _wave(url: str, wave: int) -> None:
    """``WAVE`` new contacts, a ``lead.updated`` event each."""
    store = open_store(url)
    try:
        ids = [f"c{wave}-{i:04d}" for i in range(WAVE)]
        store.upsert_contacts([Contact(c, tenant_id="acme") for c in ids], T0)
        store.append_events([NewEvent("lead.updated", c, {}, f"u-{c}", T0) for c in ids], T0)
    finally:
        store.close()


def _pending(url: str) -> int:
    store = open_store(url)
    try:
        return store.pending_events_count()
    finally:
        store.close()


def _fired(url: str) -> int:
    store = open_store(url)
    try:
        return len(store.list_firings("acme", limit=MANY))
    finally:
        store.close()


def _start(url: str, workdir: Path, life: int, batch: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, LEADFLOW_BATCH=str(batch), LEADFLOW_DISPATCH_BATCH=str(batch))
    with (workdir / f"worker-{life}.err").open("wb") as err:
        return subprocess.Popen(
            worker_cmd(url, "running"), stdout=subprocess.PIPE, stderr=err, env=env
        )


def _ready(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    assert proc.stdout is not None
    readable, _, _ = select.select([proc.stdout], [], [], timeout)
    assert readable, "the worker did not start"
    assert proc.stdout.readline().strip() == b"ready"


def test_killed_workers_fire_each_rule_exactly_once_per_event(tmp_path: Path) -> None:
    url = upgraded_db(tmp_path / "rules-crash.db")
    enrol, tag = _prepare(url)
    rng = random.Random(20)
    kills = lives = waves = 0
    deadline = time.monotonic() + 240
    while kills < MIN_KILLS:
        assert time.monotonic() < deadline, f"only {kills} kills in time"
        if _pending(url) == 0:  # the workers ran out of work: another wave
            assert waves < MAX_WAVES, f"only {kills} kills in {waves} waves"
            _wave(url, waves)
            waves += 1
        proc = _start(url, tmp_path, lives, rng.choice((5, 10, 20)))
        lives += 1
        _ready(proc)
        time.sleep(rng.uniform(0.05, 0.5))  # the wall clock of a kill, not a timer under test
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        if proc.returncode == -signal.SIGKILL and _pending(url) > 0:
            kills += 1  # killed with work left
    halfway = _fired(url)
    assert 0 < halfway < 2 * WAVE * waves, halfway  # the kills fell in the middle of the work
    final = _start(url, tmp_path, lives, 50)
    _ready(final)
    final.communicate(timeout=240)
    assert final.returncode == 0, (tmp_path / f"worker-{lives}.err").read_text()[-2000:]

    store = open_store(url)
    try:
        assert store.pending_events_count() == 0
        firings = store.list_firings("acme", limit=MANY)
        updates = {e.id for e in store.list_events(type="lead.updated", limit=MANY)}
        assert len(updates) == WAVE * waves
        pairs = Counter((f.rule_id, f.event_id) for f in firings)
        assert set(pairs) == {(r, e) for r in (enrol, tag) for e in updates}  # none lost
        assert set(pairs.values()) == {1}  # none twice
        assert all(f.outcome == "applied" for f in firings)
        runs = store.list_runs(RunFilter(workflow_key="count-me", limit=MANY))
        assert len(runs) == len(updates)  # one enrolment per firing, even with re-entry "always"
        assert {r.context["trigger"]["id"] for r in runs} == updates
        for kind in ("lead.counted", "lead.noted"):
            emitted = store.list_events(type=kind, limit=MANY)
            sources = Counter(e.data["source_event_id"] for e in emitted)
            assert set(sources) == updates and set(sources.values()) == {1}
        assert all(c.tags == ["seen"] for c in store.list_contacts(limit=MANY))
    finally:
        store.close()
