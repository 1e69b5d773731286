"""``leadflow ai workflow`` and ``leadflow ai calls`` as a user drives them: a draft from a
sentence (the planner without a model, a loopback model server with one), ``--json`` with the
definition under ``workflow``, ``--save`` keeping a draft and never publishing, a refusal
exiting 1 with its reason."""

from __future__ import annotations

import pytest

from leadflow.ai.planner import plan_workflow
from leadflow.definitions.validation import validate
from leadflow.store import open_store
from support.cli import Leadflow
from support.llm_peer import API_KEY, good, running_llm_peer
from support.planted_leads import ACME, NOW, planted

PROMPT = "Text new leads now, wait 3 days, then call them. Stop if they reply."


def test_ai_workflow_json_without_a_model(lf: Leadflow) -> None:
    lf.init()
    out = lf.json("ai", "workflow", PROMPT, "--leads", "10", "--days", "5")
    assert out["source"] == "planner" and out["published"] is False and out["saved"] is None
    assert validate(out["workflow"]).ok
    assert [n["kind"] for n in out["workflow"]["nodes"]] == ["send_sms", "wait", "voice_call"]
    assert out["workflow"]["settings"]["goals"][0]["event"] == "sms.received"
    assert out["simulation"]["nodes"][0]["entered"] == 10
    assert out["confidence"]["value"] >= 0.8
    assert lf.json("workflows", "list") == []


def test_ai_workflow_save_keeps_a_draft_and_prints_the_yaml(lf: Leadflow) -> None:
    lf.init()
    shown = lf.ok("ai", "workflow", PROMPT, "--save", "--key", "drafted", "--no-simulate")
    assert "kind: voice_call" in shown.output and "not published" in shown.output
    assert lf.json("workflows", "list") == []
    store = open_store(lf.db)
    try:
        draft = store.get_draft("default", "drafted")
    finally:
        store.close()
    assert draft is not None and draft.definition["start"] == "text_1"


def test_ai_workflow_refuses_nonsense_with_exit_1(lf: Leadflow) -> None:
    lf.init()
    result = lf("ai", "workflow", "purple monkey dishwasher")
    assert result.exit_code == 1
    assert "trigger or an action" in result.output


def test_ai_workflow_with_a_model_and_the_calls_ledger(
    lf: Leadflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    lf.init()
    definition = plan_workflow(PROMPT, key="by-model").definition
    with running_llm_peer([good(definition, tokens=(90, 30))]) as peer:
        monkeypatch.setenv("LEADFLOW_LLM_BASE_URL", peer.base_url)
        monkeypatch.setenv("LEADFLOW_LLM_API_KEY", API_KEY)
        refused = lf("ai", "workflow", PROMPT, "--no-simulate")
        assert refused.exit_code != 0
        assert "tenants create default" in refused.output + str(refused.exception)
        assert peer.requests == []
        lf.ok("tenants", "create", "default", "--name", "Default Realty")
        out = lf.json("ai", "workflow", PROMPT, "--no-simulate")
    assert out["source"] == "model" and out["workflow"]["key"] == "by-model"
    calls = lf.json("ai", "calls")
    assert calls["tokens_used_this_month"] == 120
    assert [c["outcome"] for c in calls["items"]] == ["ok"]
    assert API_KEY not in str(calls)


def test_ai_campaign_json(lf: Leadflow) -> None:
    lf.init()
    out = lf.json(
        "ai",
        "campaign",
        "book more showings",
        "--audience",
        "hot leads and past clients",
        "--channels",
        "sms,email,voice",
        "--start",
        "2027-03-01",
        "--end",
        "2027-03-10",
    )
    names = [s["name"] for s in out["segments"]]
    assert names == ["hot-leads", "past-clients"]
    hot = out["segments"][0]
    assert hot["channels"] == ["sms", "voice"]
    assert {"field": "contact.score_band", "op": "eq", "value": "hot"} in hot["conditions"]
    assert validate(hot["workflow"]).ok and hot["prediction"]["simulated_leads"] == 20
    assert out["published"] is False and lf.json("workflows", "list") == []
    bad = lf("ai", "campaign", "x", "--start", "March 1")
    assert bad.exit_code != 0


def test_ai_campaign_clusters_flag(lf: Leadflow) -> None:
    lf.init()
    out = lf.json("ai", "campaign", "book more showings", "--clusters", "auto", "--no-simulate")
    (segment,) = out["segments"]
    assert segment["clusters"] == {
        "skipped": "0 contacts; clusters need at least 30",
        "clusters": [],
    }
    assert "clusters" not in lf.json("ai", "campaign", "x", "--no-simulate")["segments"][0]
    shown = lf("ai", "campaign", "x", "--clusters", "auto", "--no-simulate")
    assert shown.exit_code == 0 and "no clusters (0 contacts" in shown.output
    for bad in ("many", "9"):
        refused = lf("ai", "campaign", "x", "--clusters", bad, "--no-simulate")
        said = refused.output + str(refused.exception)  # the console script prints the error
        assert refused.exit_code != 0 and "clusters" in said


def test_ai_campaign_cluster_drafts(lf: Leadflow) -> None:
    """Planted contacts: each cluster is printed with its condition and gets a draft row."""
    lf.init()
    store = open_store(lf.db)
    try:
        store.upsert_contacts(planted("default", ACME)[0], NOW)
    finally:
        store.close()
    args = ("ai", "campaign", "book more showings", "--clusters", "3", "--no-simulate")
    out = lf.json(*args, "--save")
    clusters = out["segments"][0]["clusters"]["clusters"]
    assert len(clusters) == 3 and all(c["segment"]["validation"]["valid"] for c in clusters)
    assert all(c["segment"]["saved"]["as"] == "draft" for c in clusters)
    assert lf.json("workflows", "list") == []  # drafts only, never published
    shown = lf.ok(*args).output
    assert shown.count("  when ") == 3 and "precision 100%" in shown, shown
    assert "city eq Austin" in shown, shown
