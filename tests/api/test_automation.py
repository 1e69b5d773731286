"""``/api/v1/automation``: a workflow drafted from a sentence (the planner without a model, the
model through a loopback OpenAI-compatible server), validated, simulated, explained, with its
confidence; saved only as a draft and only on request, never published; the tenant wall on the
drafts and on the ledger of model calls; bad input named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from fastapi import FastAPI

from leadflow.ai.planner import plan_workflow
from leadflow.api.app import create_app
from leadflow.definitions.validation import validate
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key
from support.llm_peer import API_KEY, LlmPeer, good, running_llm_peer

URL = "/api/v1/automation/workflow"
PROMPT = "When a new lead comes in, text them right away, wait 2 hours, then send an email."


@pytest.fixture
def other(app: FastAPI, db_url: str) -> Iterator[ApiClient]:
    """An admin of a second tenant, zeta."""
    with ApiClient(app, headers={"Authorization": f"Bearer {admin_key(db_url, 'zeta')}"}) as c:
        yield c


def test_the_planner_drafts_validates_simulates_and_explains(client: ApiClient) -> None:
    response = client.post(URL, json={"prompt": PROMPT, "options": {"leads": 20, "days": 3}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "planner" and body["model"] is None and body["published"] is False
    workflow = body["workflow"]
    assert validate(workflow).ok and body["validation"]["valid"] is True
    assert yaml.safe_load(body["yaml"]) == workflow
    assert workflow["triggers"][0]["event"] == "lead.created"
    assert [n["kind"] for n in workflow["nodes"]] == ["send_sms", "wait", "send_email"]
    sim = body["simulation"]
    assert sim["leads"] == 20 and [n["node"] for n in sim["nodes"]] == [
        "text_1",
        "wait_1",
        "email_1",
    ]
    assert sim["nodes"][0]["entered"] == 20 and sim["failures"] == {}
    conf = body["confidence"]
    assert set(conf["parts"]) == {"validity", "coverage", "clarity", "sanity"}
    assert conf["parts"]["validity"] == 1.0 and conf["parts"]["coverage"] == 1.0
    assert 0.8 <= conf["value"] <= 1.0
    explained = {e["node"]: e["text"] for e in body["explanations"]}
    assert explained["(trigger)"] == "When a new lead arrives."
    assert explained["wait_1"].startswith("Waits 2h")
    assert body["saved"] is None
    assert client.get("/api/v1/workflows").json()["items"] == []
    assert client.get("/api/v1/workflows/drafts").json()["items"] == []


def test_save_keeps_a_draft_of_the_caller_only_and_never_publishes(
    client: ApiClient, other: ApiClient
) -> None:
    body = client.post(URL, json={"prompt": PROMPT, "options": {"save": True, "simulate": False}})
    assert body.status_code == 200, body.text
    saved = body.json()["saved"]
    assert saved["as"] == "draft"
    key = saved["key"]
    draft = client.get(f"/api/v1/workflows/{key}/draft").json()
    assert draft["definition"] == body.json()["workflow"]
    assert client.get("/api/v1/workflows").json()["items"] == []  # nothing published
    assert other.get(f"/api/v1/workflows/{key}/draft").status_code == 404
    assert other.get("/api/v1/workflows/drafts").json()["items"] == []
    again = client.post(URL, json={"prompt": PROMPT, "options": {"save": True, "simulate": False}})
    assert again.json()["saved"]["key"] == f"{key}-2"  # never overwrites the first draft


def test_a_request_with_nothing_recognisable_is_refused_with_reasons(client: ApiClient) -> None:
    body = client.post(URL, json={"prompt": "purple monkey dishwasher"}).json()
    assert body["workflow"] is None and body["source"] is None
    assert body["validation"]["valid"] is False
    assert "trigger or an action" in body["validation"]["errors"][0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 4001}, "prompt"),
        ({"prompt": PROMPT, "options": {"samples": 2}}, "samples"),
        ({"prompt": PROMPT, "options": {"publish": True}}, "publish"),
        ({"prompt": PROMPT, "options": {"key": "drafts"}}, "key"),
        ({"prompt": PROMPT, "options": {"leads": 100000}}, "leads"),
    ],
)
def test_bad_input_names_the_field(client: ApiClient, payload: dict, field: str) -> None:
    response = client.post(URL, json=payload)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text


def test_an_agent_may_not_draft(agent_ann: ApiClient) -> None:
    response = agent_ann.post(URL, json={"prompt": PROMPT})
    assert response.status_code == 403
    assert "drafting a workflow" in response.text


@pytest.fixture
def llm() -> Iterator[LlmPeer]:
    plan = plan_workflow(PROMPT, key="from-the-model")
    with running_llm_peer([good(plan.definition, tokens=(500, 250))]) as peer:
        yield peer


def test_with_a_model_calls_are_in_the_tenants_ledger_only(
    db_url: str, llm: LlmPeer, token: str
) -> None:
    settings = Settings(db=db_url, llm_base_url=llm.base_url, llm_api_key=API_KEY, llm_model="m1")
    app = create_app(settings)
    zeta = admin_key(db_url, "zeta")
    with (
        ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as acme,
        ApiClient(app, headers={"Authorization": f"Bearer {zeta}"}) as other,
    ):
        first = acme.post(URL, json={"prompt": PROMPT, "options": {"simulate": False}}).json()
        second = acme.post(URL, json={"prompt": PROMPT, "options": {"simulate": False}}).json()
        assert first["source"] == "model" and first["model"] == "m1"
        assert first["workflow"]["key"] == "from-the-model"
        assert first["usage"] == {"calls": 1, "cache_hits": 0, "tokens_in": 500, "tokens_out": 250}
        assert second["usage"]["cache_hits"] == 1 and len(llm.requests) == 1
        calls = acme.get("/api/v1/automation/calls").json()
        assert [c["cache_hit"] for c in calls["items"]] == [True, False]
        assert calls["tokens_used_this_month"] == 750
        assert calls["monthly_token_budget"] == 2_000_000
        assert other.get("/api/v1/automation/calls").json()["items"] == []
        assert API_KEY not in str(calls)
        metrics = acme.get("/metrics").text
        assert (
            'leadflow_ai_calls_total{cache_hit="true",outcome="ok",purpose="workflow"}' in metrics
        )
        assert 'leadflow_ai_tokens_total{direction="in",purpose="workflow"}' in metrics
        assert API_KEY not in metrics


CAMPAIGN = "/api/v1/automation/smart-campaign"


def _contacts(client: ApiClient) -> None:
    people = [
        {"first_name": "Tex", "state": "TX", "tags": ["past-client"]},
        {"first_name": "Tara", "state": "TX", "fields": {"lead_type": "buyer"}},
        {"first_name": "Fay", "state": "FL", "tags": ["past-client"]},
        {"first_name": "Flo", "state": "FL", "fields": {"lead_type": "buyer"}},
    ]
    for person in people:
        assert client.post("/api/v1/contacts", json=person).status_code == 201


def test_a_campaign_has_segments_plans_drafts_and_predictions(
    client: ApiClient, other: ApiClient
) -> None:
    _contacts(client)
    body = {
        "goal": "book more appointments",
        "audience": "buyers in Texas and past clients",
        "channels": ["sms", "email"],
        "start": "2027-01-04",
        "end": "2027-01-15",
        "budget": 3,
        "save": True,
    }
    response = client.post(CAMPAIGN, json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["published"] is False
    first, second = out["segments"]
    assert {"field": "contact.state", "op": "eq", "value": "TX"} in first["conditions"]
    assert (first["contacts"], second["contacts"]) == (1, 2)
    assert out["budget"]["planned"] <= 3 and any("budget reaches" in w for w in out["warnings"])
    assert second["channels"] == ["email", "sms"]
    for seg in out["segments"]:
        workflow = seg["workflow"]
        assert validate(workflow).ok and seg["validation"]["valid"]
        split = workflow["nodes"][0]
        assert split["experiment"]["metric"]["event"] == "appointment.booked"
        assert workflow["triggers"][0]["cron"] == "0 10 4 1 *"
        assert workflow["settings"]["send_window"]["start"] == "09:00"
        pred = seg["prediction"]
        low, high = pred["replies"]["interval_95"]
        assert low <= pred["replies"]["expected"] <= high
        assert "stated prior" in pred["basis"]
        assert client.get(f"/api/v1/workflows/{seg['saved']['key']}/draft").status_code == 200
        assert other.get(f"/api/v1/workflows/{seg['saved']['key']}/draft").status_code == 404
    assert client.get("/api/v1/workflows").json()["items"] == []
    # the other tenant's contacts are its own: the same words size nothing there
    theirs = other.post(CAMPAIGN, json={**body, "save": False, "simulate": False}).json()
    assert [s["contacts"] for s in theirs["segments"]] == [0, 0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"goal": ""}, "goal"),
        ({"goal": "x", "channels": ["fax"]}, "channels"),
        ({"goal": "x", "start": "2027-02-01", "end": "2027-01-01"}, "end"),
        ({"goal": "x", "budget": -1}, "budget"),
    ],
)
def test_campaign_bad_input_names_the_field(client: ApiClient, payload: dict, field: str) -> None:
    response = client.post(CAMPAIGN, json=payload)
    assert response.status_code == 422, response.text
    assert field in response.text


def test_a_workflow_started_by_the_draft_must_exist_in_the_tenant(
    client: ApiClient, other: ApiClient
) -> None:
    prompt = "When a lead's score turns hot, start the hot lead acceleration workflow."
    refused = client.post(URL, json={"prompt": prompt, "options": {"simulate": False}}).json()
    assert refused["workflow"] is None and refused["validation"]["valid"] is False
    assert (
        "no workflow 'hot-lead-acceleration' in this tenant" in refused["validation"]["errors"][0]
    )
    play = client.post(
        URL,
        json={
            "prompt": "Hot lead acceleration",
            "options": {"key": "hot-lead-acceleration", "save": True, "simulate": False},
        },
    ).json()
    assert play["saved"]["key"] == "hot-lead-acceleration"
    drafted = client.post(URL, json={"prompt": prompt, "options": {"simulate": False}}).json()
    assert drafted["validation"]["valid"] is True
    assert drafted["workflow"]["nodes"][0]["workflow"] == "hot-lead-acceleration"
    # another tenant's draft of that key is no help to zeta
    theirs = other.post(URL, json={"prompt": prompt, "options": {"simulate": False}}).json()
    assert theirs["workflow"] is None
