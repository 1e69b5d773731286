"""Orchestration tasks against a loopback OpenAI-compatible server (``support.llm_peer``):
scripted good, bad, slow and failing answers give done, failed (with the reason) and skipped
tasks, a batch ``completed_with_errors``; tokens are counted per task; an opt-out the compliance
rules see stays one whatever the model says; the per-server limit holds across two workers;
each task is asked of the model once."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from leadflow.access import orchestration as service
from leadflow.access.scope import operator
from leadflow.settings import Settings
from leadflow.store import open_store
from leadflow.tenancy import accounts
from support.llm_peer import API_KEY, LlmPeer, Reply, error, good, running_llm_peer
from support.orchestration import drain, worker_side
from support.records import T0, contact
from support.stores import upgraded_db


def _db(tmp_path: Path) -> str:
    url = upgraded_db(tmp_path / "orch.db")
    store = open_store(url)
    try:
        accounts.create_tenant(store, "acme", "Acme Realty", 0.0)
        store.upsert_contacts([contact("ann", tenant_id="acme")], T0)
    finally:
        store.close()
    return url


def _settings(url: str, peer: LlmPeer, **kw: Any) -> Settings:
    return Settings(db=url, llm_base_url=peer.base_url, llm_api_key=API_KEY, llm_model="m1", **kw)


def classify(tid: str, text: str, priority: int, **kw: Any) -> dict[str, Any]:
    return {"id": tid, "kind": "classify", "input": {"texts": [text]}, "priority": priority, **kw}


def items(*pairs: tuple[str, float]) -> dict[str, Any]:
    return {"items": [{"intent": i, "confidence": c} for i, c in pairs]}


def test_good_bad_slow_and_failing_answers_are_reported_task_by_task(tmp_path: Path) -> None:
    url = _db(tmp_path)
    script = [
        good(items(("interested", 0.9)), tokens=(100, 20)),  # g
        Reply(content="I think they are interested!"),  # b: not JSON
        error(500, "model crashed"),  # f
        Reply(content=json.dumps(items(("question", 0.5))), delay_s=1.5),  # s: too slow
        good(items(("interested", 0.99)), tokens=(50, 10)),  # o: the rules say opt-out
        good({"text": "Hi Ann, want to tour 12 Oak St on Saturday? Reply STOP to opt out."}),
    ]
    batch = {
        "tasks": [
            classify("g", "yes please send more", 9),
            classify("b", "maybe", 8),
            classify("f", "hmm", 7),
            classify("s", "ok", 6),
            classify("d", "later", 5, depends_on=["b"]),
            classify("o", "STOP", 4),
            {
                "id": "c",
                "kind": "compose",
                "input": {"brief": "invite to a Saturday tour", "contact_ids": ["ann"]},
                "priority": 3,
                "depends_on": ["g"],
            },
        ]
    }
    with running_llm_peer(script) as peer:
        settings = _settings(url, peer, orchestrate_batch=1, llm_max_retries=0, llm_timeout_s=0.5)
        with worker_side(settings) as (rt, job):
            out = service.submit(rt, operator("acme"), batch, T0)
            assert drain(job, T0) == 6  # d is skipped, never run
            shown = service.show(rt, operator("acme"), out["id"])
        asked = [r["messages"][1]["content"] for r in peer.requests]
    tasks = {t["id"]: t for t in shown["tasks"]}
    assert shown["status"] == "completed_with_errors"
    assert shown["counts"] == {"done": 3, "failed": 3, "skipped": 1}
    assert tasks["g"]["status"] == "done" and tasks["g"]["confidence"] == 0.9
    assert tasks["g"]["result"]["items"][0]["source"] == "model"
    assert tasks["g"]["tokens"] == {"in": 100, "out": 20}
    assert tasks["b"]["error"] == "the model's answer is not a classification of the 1 replies"
    assert tasks["f"]["error"].startswith("model call failed (server_error)")
    assert tasks["s"]["error"].startswith("model call failed (timeout)")
    assert tasks["d"]["status"] == "skipped" and tasks["d"]["error"] == "dependency 'b' failed"
    assert tasks["d"]["attempts"] == 0
    (opt,) = tasks["o"]["result"]["items"]
    assert (opt["intent"], opt["source"]) == ("opt_out", "compliance_rules")
    (msg,) = tasks["c"]["result"]["messages"]
    assert msg["source"] == "model" and msg["text"].startswith("Hi Ann, want to tour")
    assert "invite to a Saturday tour" in asked[-1]  # the brief reached the model
    assert len(asked) == 6  # each task run once, d never
    assert tasks["b"]["tokens"] == {"in": 120, "out": 80}  # a failed task's tokens still count
    assert shown["tokens"]["in"] == 100 + 120 + 50 + 120


def test_the_per_server_limit_holds_across_workers(tmp_path: Path) -> None:
    url = _db(tmp_path)
    answer = Reply(content=json.dumps(items(("question", 0.7))), delay_s=0.2)
    batch = {"tasks": [classify(f"t{i}", f"is it still available? #{i}", 0) for i in range(16)]}
    with running_llm_peer([answer]) as peer:
        settings = _settings(
            url, peer, orchestrate_batch=4, orchestrate_per_server=3, orchestrate_per_tenant=10
        )
        with worker_side(settings) as (rt, job1), worker_side(settings) as (_, job2):
            out = service.submit(rt, operator("acme"), batch, T0)
            done = [0, 0]

            def work(i: int, job: Any) -> None:
                done[i] = drain(job, T0)

            threads = [
                threading.Thread(target=work, args=(i, j)) for i, j in enumerate((job1, job2))
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            shown = service.show(rt, operator("acme"), out["id"])
        texts = [r["messages"][1]["content"] for r in peer.requests]
    assert shown["counts"] == {"done": 16} and sum(done) == 16
    assert peer.max_in_flight <= 3
    assert sorted(texts) == sorted(f"1. is it still available? #{i}" for i in range(16))
