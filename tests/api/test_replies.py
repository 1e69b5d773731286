"""``POST /api/v1/replies/classify``: one reading per text (text, intent, confidence, source),
the opt-out rules first, the local model without a model server, the model server when one is
configured (its calls in the caller's tenant's ledger only); any role may ask; a missing key is
refused; the count and the length of the texts are limited, each bad text named."""

from __future__ import annotations

import json

import pytest

from leadflow.api.app import create_app
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key
from support.llm_peer import API_KEY, Reply, running_llm_peer

URL = "/api/v1/replies/classify"


def test_each_text_gets_its_intent_confidence_and_source(client: ApiClient) -> None:
    texts = [
        "what's the HOA on that one?",
        "STOP",
        "Can we see it Saturday at 2?",
        "not right now, maybe in the spring",
        "Quiero hablar con una persona, no con un robot",
    ]
    response = client.post(URL, json={"texts": texts})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["text"] for i in items] == texts
    assert [i["intent"] for i in items] == [
        "question",
        "opt_out",
        "appointment_request",
        "not_now",
        "needs_agent",
    ]
    assert [i["source"] for i in items] == ["model", "rules", "model", "model", "model"]
    assert items[1]["confidence"] == 1.0
    assert all(0 < i["confidence"] <= 1 for i in items)


def test_an_agent_may_ask_and_no_key_is_refused(agent_ann: ApiClient, anonymous: ApiClient) -> None:
    response = agent_ann.post(URL, json={"texts": ["who is this?"]})
    assert response.status_code == 200
    assert response.json()["items"][0]["intent"] == "question"
    assert anonymous.post(URL, json={"texts": ["who is this?"]}).status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"texts": []}, "texts"),
        ({"texts": ["ok"] * 101}, "texts"),
        ({"texts": ["ok", "   "]}, "texts[1]"),
        ({"texts": ["ok", "x" * 2001]}, "texts[1]"),
        ({"texts": "just one"}, "body.texts"),
        ({"text": ["ok"]}, "body.texts"),
    ],
    ids=["none", "too-many", "blank", "too-long", "not-a-list", "misnamed"],
)
def test_bad_input_names_the_field(client: ApiClient, payload: dict, field: str) -> None:
    response = client.post(URL, json=payload)
    assert response.status_code == 422, response.text
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields, fields


def test_with_a_model_server_it_answers_and_the_calls_are_the_callers(
    db_url: str, token: str
) -> None:
    answer = Reply(content=json.dumps({"intent": "interested", "confidence": 0.77}))
    with running_llm_peer([answer]) as peer:
        settings = Settings(db=db_url, llm_base_url=peer.base_url, llm_api_key=API_KEY)
        app = create_app(settings)
        zeta = admin_key(db_url, "zeta")
        with (
            ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as acme,
            ApiClient(app, headers={"Authorization": f"Bearer {zeta}"}) as other,
        ):
            body = acme.post(URL, json={"texts": ["love the backyard!", "unsubscribe"]}).json()
            assert body["items"] == [
                {
                    "text": "love the backyard!",
                    "intent": "interested",
                    "confidence": 0.77,
                    "source": "llm",
                },
                {"text": "unsubscribe", "intent": "opt_out", "confidence": 1.0, "source": "rules"},
            ]
            assert len(peer.requests) == 1  # the opt-out never went to the server
            calls = acme.get("/api/v1/automation/calls").json()["items"]
            assert [c["purpose"] for c in calls] == ["reply_intent"]
            assert other.get("/api/v1/automation/calls").json()["items"] == []
