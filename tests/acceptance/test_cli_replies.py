"""``leadflow replies classify TEXT...``: one reading per text (text, intent, confidence,
source), as a table or ``--json``; without a model server no database is needed; with one
(a loopback ``/v1/chat/completions`` peer) it answers and its calls are recorded in the
database; a blank or too long text is refused by name."""

from __future__ import annotations

import json

from leadflow.store.factory import open_store
from support.cli import Leadflow, assert_fails
from support.llm_peer import API_KEY, Reply, running_llm_peer


def test_classify_prints_one_object_per_text_without_a_database(lf: Leadflow) -> None:
    texts = ["is it still available?", "Stop texting me", "maybe next year", "I'm not Jessica"]
    rows = lf.json("replies", "classify", *texts, db=False)
    assert [(r["text"], r["intent"], r["source"]) for r in rows] == [
        ("is it still available?", "question", "model"),
        ("Stop texting me", "opt_out", "rules"),
        ("maybe next year", "not_now", "model"),
        ("I'm not Jessica", "wrong_number", "model"),
    ]
    assert all(0 < r["confidence"] <= 1 for r in rows)
    assert not lf.db_path.exists()
    table = lf.ok("replies", "classify", "Can we see it Saturday at 2?", db=False).stdout
    assert "appointment_request" in table and "model" in table


def test_bad_texts_are_refused_by_name(lf: Leadflow) -> None:
    assert_fails(lf("replies", "classify", "ok", "  ", db=False), "texts[1]", "empty")
    assert_fails(lf("replies", "classify", "x" * 2001, db=False), "texts[0]", "2000")


def test_with_a_model_server_it_answers_and_the_call_is_recorded(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    answer = Reply(content=json.dumps({"intent": "needs_agent", "confidence": 0.9}))
    with running_llm_peer([answer]) as peer:
        env = {"LEADFLOW_LLM_BASE_URL": peer.base_url, "LEADFLOW_LLM_API_KEY": API_KEY}
        rows = lf.json("replies", "classify", "hello??", "--tenant", "acme", env=env)
        assert len(peer.requests) == 1
    assert rows == [
        {"text": "hello??", "intent": "needs_agent", "confidence": 0.9, "source": "llm"}
    ]
    store = open_store(lf.db)
    try:
        (call,) = store.list_ai_calls("acme")
    finally:
        store.close()
    assert (call.purpose, call.outcome) == ("reply_intent", "ok")
