"""Crash test: ``leadflow worker`` processes killed with SIGKILL, again and again, while they run
a batch of a few hundred AI tasks against a loopback model server; then one worker finishes.

Checked afterwards, from the database and from the model server's own log of requests:

* every task is done (none lost, none quarantined, none left running or pending), with the
  answer to its own text, exactly one stored outcome (the fenced write) and dependencies
  finished before their dependents started;
* the model was asked about each task at least once and at most once per attempt (a claim);
  a task asked more than once is one whose worker was killed while it ran (its attempts > 1),
  and there are no more of them than the tasks in flight at the kills allow. A model call
  cut off by a kill cannot be taken back: the task's outcome is stored once, not its calls.

On SQLite and on PostgreSQL. Each worker is killed at a random moment after it has made its
first model request of its life (so every kill lands while tasks are in flight, not while the
process is still importing).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.access import orchestration as service
from leadflow.access.scope import operator
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store import open_store
from leadflow.tenancy import accounts
from support.llm_peer import API_KEY, LlmPeer, Reply, running_llm_peer
from support.postgres import postgres_database
from support.stores import upgraded_db
from support.storm import leadflow_cmd

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]

TASKS = 400
MIN_KILLS = 10
BATCH = 8  # tasks one worker runs at once
SEED = 20261206
MARK = re.compile(r"reply #(\d+):")
ANSWER = json.dumps({"items": [{"intent": "question", "confidence": 0.7}]})


def _env(base_url: str, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env.update(
        LEADFLOW_DB=url,
        LEADFLOW_LLM_BASE_URL=base_url,
        LEADFLOW_LLM_API_KEY=API_KEY,
        LEADFLOW_LLM_MODEL="m1",
        LEADFLOW_LLM_CACHE_TTL_S="0",
        LEADFLOW_ORCHESTRATE_BATCH=str(BATCH),
        LEADFLOW_ORCHESTRATE_PER_TENANT=str(BATCH),
        LEADFLOW_ORCHESTRATE_PER_SERVER=str(BATCH),
        LEADFLOW_ORCHESTRATE_MAX_ATTEMPTS="20",  # killed holders are not poison here
        LEADFLOW_ORCHESTRATE_INTERVAL_S="0.01",
        LEADFLOW_POLL_S="0.05",
    )
    return env


def _batch() -> dict[str, object]:
    tasks: list[dict[str, object]] = []
    for i in range(TASKS):
        task: dict[str, object] = {
            "id": f"t{i}",
            "kind": "classify",
            "input": {"texts": [f"reply #{i}: is the house on Elm still available?"]},
            "priority": i % 3,
        }
        if i % 10 == 9:  # a chain through the batch: t9 after t8, t19 after t18 ...
            task["depends_on"] = [f"t{i - 1}"]
        tasks.append(task)
    return {"label": "crash", "tasks": tasks}


def _first_request(peer: LlmPeer, before: int) -> None:
    deadline = time.monotonic() + 60
    while len(peer.requests) <= before:
        assert time.monotonic() < deadline, "the worker never called the model"
        time.sleep(0.01)


def _live(url: str, batch_id: str) -> int:
    store = open_store(url)
    try:
        found = store.get_orch_batch("acme", batch_id)
        assert found is not None
        return found.counts.get("pending", 0) + found.counts.get("running", 0)
    finally:
        store.close()


def _running(url: str, batch_id: str) -> int:
    store = open_store(url)
    try:
        return sum(t.status == "running" for t in store.orch_tasks("acme", batch_id))
    finally:
        store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield upgraded_db(tmp_path / "crash.db")
        return
    with postgres_database() as url:
        yield url


def test_killed_workers_lose_no_task_and_store_each_outcome_once(db_url: str) -> None:
    url = db_url
    store = open_store(url)
    accounts.create_tenant(store, "acme", "Acme Realty", 0.0)
    store.close()
    rng = random.Random(SEED)
    # each answer takes 100 ms: a worker has tasks in flight when it is killed
    with running_llm_peer([Reply(content=ANSWER, delay_s=0.1)]) as peer:
        env = _env(peer.base_url, url)
        rt = build_runtime(
            Settings(db=url, llm_base_url=peer.base_url, llm_api_key=API_KEY, llm_model="m1")
        )
        try:
            batch_id = service.submit(rt, operator("acme"), _batch(), rt.clock.now())["id"]
        finally:
            rt.close()
        kills = kills_mid_task = 0
        started = time.monotonic()
        while kills < MIN_KILLS and _live(url, batch_id):
            proc = subprocess.Popen(
                leadflow_cmd("worker", ready_when="running"),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=env,
            )
            assert proc.stdout is not None
            before = len(peer.requests)
            assert proc.stdout.readline().strip() == "ready"
            _first_request(peer, before)  # the worker is calling the model: kill it mid-work
            time.sleep(rng.uniform(0.0, 0.6))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc.stdout.close()
            kills += 1
            kills_mid_task += _running(url, batch_id) > 0
            assert time.monotonic() - started < 240, "the storm took too long"
        done = subprocess.run(
            leadflow_cmd("worker", "--until-idle", "--json"),
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        asked = Counter(
            int(m.group(1))
            for r in peer.requests
            if "messages" in r and (m := MARK.search(r["messages"][1]["content"])) is not None
        )
    store = open_store(url)
    try:
        tasks = {t.task_id: t for t in store.orch_tasks("acme", batch_id)}
        batch = store.get_orch_batch("acme", batch_id)
    finally:
        store.close()
    print(
        f"\norchestration storm: {kills} SIGKILLs ({kills_mid_task} with tasks running), "
        f"{len(peer.requests)} model requests for {TASKS} tasks, "
        f"{sum(n > 1 for n in asked.values())} tasks asked twice or more, "
        f"attempts {Counter(t.attempts for t in tasks.values())}"
    )
    assert kills >= MIN_KILLS and kills_mid_task >= MIN_KILLS // 2
    assert batch is not None and batch.counts == {"done": TASKS}
    assert len(tasks) == TASKS
    for i in range(TASKS):
        t = tasks[f"t{i}"]
        (item,) = t.result["items"]
        assert item["text"] == f"reply #{i}: is the house on Elm still available?"
        assert item["intent"] == "question" and t.error is None
        assert t.lease_owner is None and t.finished_at is not None
        assert 1 <= asked[i] <= t.attempts, (i, asked[i], t.attempts)
        for dep in t.depends_on:
            assert t.started_at is not None and tasks[dep].finished_at is not None
            assert tasks[dep].finished_at <= t.started_at
    again = sum(n - 1 for n in asked.values())
    assert 1 <= again <= kills * BATCH  # only tasks in flight at a kill were asked again
