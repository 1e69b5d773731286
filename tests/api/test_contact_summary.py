"""``GET /api/v1/contacts/{id}/summary``: what an agent should know before calling a lead --
score and its factors, what it is looking for, its matched listings, its last reply with that
reply's intent (when the event carries ``data.intent``) and its last interactions. Extractive
without a model; written by a loopback chat-completions server when one is configured, and
extractive again when that text names a figure the facts do not hold. An agent sees only its
own leads; another tenant's key gets 404."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.model.listings import Listing, ListingMatch
from leadflow.runtime import Runtime, build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, assert_problem, member_key
from support.llm_peer import API_KEY, LlmPeer, Reply, running_llm_peer

T0 = 1_750_000_000.0
REPLY = "Is the Oak St one still open? Could I see it Saturday?"


def _runtime(db_url: str, **settings: Any) -> Runtime:
    return build_runtime(Settings(db=db_url, **settings), clock=VirtualClock(T0))


@pytest.fixture
def rt(db_url: str) -> Iterator[Runtime]:
    runtime = _runtime(db_url)
    yield runtime
    runtime.close()


def _client(rt: Runtime, token: str) -> ApiClient:
    return ApiClient(create_app(runtime=rt), headers={"Authorization": f"Bearer {token}"})


def _lead(rt: Runtime, db_url: str) -> str:
    """Ann's lead Lou: criteria, a saved listing, a matched listing and a reply with an intent."""
    ann_key = member_key(db_url, "agent", "ann")
    with _client(rt, ann_key) as ann:
        made = ann.post(
            "/api/v1/contacts",
            json={
                "first_name": "Lou",
                "last_name": "Diaz",
                "phone": "+15125550142",
                "stage": "nurture",
                "fields": {"criteria": {"max_price": 450000, "min_beds": 3}},
            },
        )
        assert made.status_code == 201, made.text
        cid: str = made.json()["id"]
        rt.store.upsert_listings(
            [
                Listing(
                    "acme",
                    "A1",
                    standard_status="Active",
                    list_price=420_000.0,
                    bedrooms_total=3,
                    bathrooms_total_integer=2,
                    unparsed_address="12 Oak St, Austin, TX 78704",
                    internet_entire_listing_display_yn=True,
                )
            ],
            T0,
        )
        rt.store.record_listing_matches([ListingMatch("acme", cid, "A1", 92.0, "r:m:1", T0)])
        for event in (
            {"type": "listing.saved", "contact_id": cid, "data": {"listing_key": "A1"}},
            {
                "type": "sms.received",
                "contact_id": cid,
                "data": {
                    "body": REPLY,
                    "from": "+15125550142",
                    "intent": {"intent": "appointment_request", "confidence": 0.93},
                },
            },
        ):
            sent = ann.post("/api/v1/events", json=event)
            assert sent.status_code in (200, 201, 202), sent.text
    worker = rt.worker("api-test")
    while worker.tick(rt.clock.now()):
        pass
    return cid


def test_an_agent_gets_the_extractive_summary_of_its_own_lead(rt: Runtime, db_url: str) -> None:
    cid = _lead(rt, db_url)
    with _client(rt, member_key(db_url, "agent", "ann")) as ann:
        got = ann.get(f"/api/v1/contacts/{cid}/summary")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["source"] == "extractive" and body["reasons"] == []
    facts = body["facts"]
    assert facts["last_reply"] == {
        "at": "2025-06-15T15:06:40Z",
        "channel": "sms",
        "text": REPLY,
        "intent": {"intent": "appointment_request", "confidence": 0.93},
    }
    assert facts["listings"][0]["address"] == "12 Oak St, Austin, TX 78704"
    assert facts["score"]["factors"], facts["score"]
    assert facts["interactions"][0]["kind"] == "sms.received"  # newest first
    lines = body["text"].splitlines()
    assert lines[0] == "Lou Diaz | stage nurture"
    assert lines[1].startswith(f"Score {facts['score']['score']:g} (")
    assert "Looking for: max price $450,000; min beds 3" in lines
    assert (
        f'Last reply (sms, 2025-06-15T15:06:40Z): "{REPLY}"; intent appointment_request 0.93'
        in (lines)
    )
    assert "Matched: 12 Oak St, Austin, TX 78704, $420,000, 3 bd, 2 ba" in lines


def test_a_reply_without_an_intent_and_a_lead_without_replies(rt: Runtime, db_url: str) -> None:
    with _client(rt, admin_key(db_url)) as admin:
        cid = admin.post("/api/v1/contacts", json={"first_name": "Kim"}).json()["id"]
        quiet = admin.get(f"/api/v1/contacts/{cid}/summary").json()
        assert quiet["facts"]["last_reply"] is None and "No reply yet" in quiet["text"]
        admin.post(
            "/api/v1/events",
            json={"type": "sms.received", "contact_id": cid, "data": {"body": "ok thanks"}},
        )
        got = admin.get(f"/api/v1/contacts/{cid}/summary").json()
    assert got["facts"]["last_reply"]["intent"] is None
    assert got["facts"]["last_reply"]["text"] == "ok thanks"


def test_another_agent_and_another_tenant_get_404(rt: Runtime, db_url: str) -> None:
    cid = _lead(rt, db_url)
    with _client(rt, member_key(db_url, "agent", "bob")) as bob:
        assert_problem(bob.get(f"/api/v1/contacts/{cid}/summary"), 404)
    with _client(rt, admin_key(db_url, "zeta")) as zeta:
        assert_problem(zeta.get(f"/api/v1/contacts/{cid}/summary"), 404)
        assert_problem(zeta.get("/api/v1/contacts/nobody/summary"), 404)
    with _client(rt, admin_key(db_url)) as admin:  # the tenant's admin sees every lead
        assert admin.get(f"/api/v1/contacts/{cid}/summary").status_code == 200


@pytest.fixture
def peer() -> Iterator[LlmPeer]:
    with running_llm_peer() as found:
        yield found


def test_with_a_model_the_model_writes_it_and_a_made_up_figure_falls_back(
    db_url: str, peer: LlmPeer
) -> None:
    plain = _runtime(db_url)
    cid = _lead(plain, db_url)
    plain.close()
    written = (
        "Lou Diaz wants to see 12 Oak St, Austin, TX 78704 ($420,000, 3 bd) on Saturday; "
        "the reply asks for an appointment. Call to confirm a time."
    )
    peer.script = [
        Reply(content=json.dumps({"summary": written})),
        Reply(content=json.dumps({"summary": "Lou can spend $600,000; call now."})),
    ]
    rt = _runtime(db_url, llm_base_url=peer.base_url, llm_api_key=API_KEY, llm_max_retries=0)
    try:
        with _client(rt, member_key(db_url, "agent", "ann")) as ann:
            first = ann.get(f"/api/v1/contacts/{cid}/summary").json()
            rt.clock.set(T0 + 60)  # type: ignore[attr-defined]
            second = ann.get(f"/api/v1/contacts/{cid}/summary").json()
    finally:
        rt.close()
    assert (first["source"], first["text"]) == ("model", written)
    given = json.loads(peer.requests[0]["messages"][1]["content"])
    assert given["last_reply"]["intent"]["intent"] == "appointment_request"
    assert second["source"] == "extractive"
    assert second["reasons"] == ["facts: the price '$600,000' is not in the data"]
    assert second["text"].startswith("Lou Diaz | stage nurture")
