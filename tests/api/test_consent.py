"""``/api/v1/contacts/{id}/consent``: the state per channel with its history, and consent
recorded by a form or an agent -- with who recorded it, the evidence, and the rule that an
opt-out is only undone with evidence of the lead's new agreement."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from support.api_client import ApiClient, assert_problem

CHECKBOX = "I agree to receive texts and calls, including prerecorded ones, from Acme Realty."


def _lead(api: ApiClient) -> str:
    made = api.post("/api/v1/contacts", json={"first_name": "Lee", "phone": "+15125550123"})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_a_new_lead_has_no_consent_and_no_history(client: ApiClient) -> None:
    cid = _lead(client)
    shown = client.get(f"/api/v1/contacts/{cid}/consent")
    assert shown.status_code == 200, shown.text
    assert shown.json() == {
        "contact_id": cid,
        "consent": {
            "sms": "unknown",
            "email": "unknown",
            "voice": "unknown",
            "whatsapp": "unknown",
        },
        "history": [],
    }


def test_consent_is_recorded_with_source_evidence_time_and_who(agent_ann: ApiClient) -> None:
    cid = _lead(agent_ann)
    before = time.time()
    given = agent_ann.post(
        f"/api/v1/contacts/{cid}/consent",
        json={"channel": "voice", "state": "opted_in", "source": "web_form", "evidence": CHECKBOX},
    )
    assert given.status_code == 200, given.text
    body = given.json()
    assert body["consent"] == {
        "sms": "unknown",
        "email": "unknown",
        "voice": "opted_in",
        "whatsapp": "unknown",
    }
    (entry,) = body["history"]
    assert (entry["channel"], entry["state"], entry["source"], entry["evidence"]) == (
        "voice",
        "opted_in",
        "web_form",
        CHECKBOX,
    )
    assert entry["by"] == "ann" and entry["event_id"] is None
    at = datetime.fromisoformat(entry["at"]).timestamp()
    assert before - 1 <= at <= time.time() + 1  # defaults to now
    # the contact shows the same state, and GET returns the same history
    assert agent_ann.get(f"/api/v1/contacts/{cid}").json()["consent"] == {"voice": "opted_in"}
    assert agent_ann.get(f"/api/v1/contacts/{cid}/consent").json() == body


def test_an_opt_in_over_an_opt_out_needs_evidence(client: ApiClient) -> None:
    cid = _lead(client)
    out = client.post(
        f"/api/v1/contacts/{cid}/consent",
        json={
            "channel": "sms",
            "state": "opted_out",
            "source": "agent",
            "at": "2026-01-05T15:00:00+00:00",
        },
    )
    assert out.status_code == 200, out.text
    assert out.json()["history"][0]["at"] == "2026-01-05T15:00:00Z"
    refused = client.post(
        f"/api/v1/contacts/{cid}/consent",
        json={"channel": "sms", "state": "opted_in", "source": "agent"},
    )
    problem = assert_problem(refused, 422)
    assert str(problem["detail"]).startswith("evidence:")
    shown = client.get(f"/api/v1/contacts/{cid}/consent").json()
    assert shown["consent"]["sms"] == "opted_out" and len(shown["history"]) == 1
    back = client.post(
        f"/api/v1/contacts/{cid}/consent",
        json={"channel": "sms", "state": "opted_in", "source": "web_form", "evidence": CHECKBOX},
    )
    assert back.status_code == 200, back.text
    assert back.json()["consent"]["sms"] == "opted_in"
    history = back.json()["history"]
    assert [(h["state"], h["source"]) for h in history] == [
        ("opted_out", "agent"),
        ("opted_in", "web_form"),
    ]
    assert history[1]["evidence"] == CHECKBOX
    # an admin key has no agent: the key itself is named
    assert history[0]["by"] == history[1]["by"] and str(history[0]["by"]).startswith("key:")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "fax", "state": "opted_in", "source": "agent"}, "body.channel"),
        ({"channel": "sms", "state": "maybe", "source": "agent"}, "body.state"),
        ({"channel": "sms", "state": "opted_in", "source": ""}, "body.source"),
        ({"channel": "sms", "state": "opted_in"}, "body.source"),
        (
            {"channel": "sms", "state": "opted_in", "source": "a", "at": "2026-01-05T15:00:00"},
            "body.at",
        ),
    ],
)
def test_bad_input_names_the_field(client: ApiClient, body: dict[str, str], field: str) -> None:
    cid = _lead(client)
    problem = assert_problem(client.post(f"/api/v1/contacts/{cid}/consent", json=body), 422)
    assert [e["field"] for e in problem["errors"]] == [field]  # type: ignore[union-attr]
    assert client.get(f"/api/v1/contacts/{cid}/consent").json()["history"] == []


def test_a_time_in_the_future_is_refused(client: ApiClient) -> None:
    cid = _lead(client)
    problem = assert_problem(
        client.post(
            f"/api/v1/contacts/{cid}/consent",
            json={
                "channel": "email",
                "state": "opted_in",
                "source": "import",
                "at": "2099-01-01T00:00:00Z",
            },
        ),
        422,
    )
    assert str(problem["detail"]).startswith("at:")


def test_another_agents_lead_is_not_found_and_unchanged(
    agent_ann: ApiClient, agent_bob: ApiClient
) -> None:
    cid = _lead(agent_ann)
    assert_problem(agent_bob.get(f"/api/v1/contacts/{cid}/consent"), 404)
    assert_problem(
        agent_bob.post(
            f"/api/v1/contacts/{cid}/consent",
            json={"channel": "sms", "state": "opted_out", "source": "agent"},
        ),
        404,
    )
    shown = agent_ann.get(f"/api/v1/contacts/{cid}/consent").json()
    assert shown["history"] == [] and shown["consent"]["sms"] == "unknown"


# ----------------------------------------------------- consent changed by ordinary contact writes
def test_a_patch_cannot_undo_an_opt_out_and_says_how(client: ApiClient) -> None:
    cid = _lead(client)
    out = client.patch(f"/api/v1/contacts/{cid}", json={"consent": {"sms": "opted_out"}})
    assert out.status_code == 200, out.text
    undo = client.patch(f"/api/v1/contacts/{cid}", json={"consent": {"sms": "opted_in"}})
    problem = assert_problem(undo, 422)
    assert "consent.sms" in str(problem) and f"/api/v1/contacts/{cid}/consent" in str(problem)
    dropped = client.patch(f"/api/v1/contacts/{cid}", json={"consent": {}})
    assert "consent.sms" in str(assert_problem(dropped, 422))
    shown = client.get(f"/api/v1/contacts/{cid}/consent").json()
    assert shown["consent"]["sms"] == "opted_out"
    # the opt-out made through PATCH is in the history, with where it came from
    (entry,) = shown["history"]
    assert (entry["channel"], entry["state"], entry["source"]) == ("sms", "opted_out", "api")
    assert entry["by"].startswith("key:")


def test_consent_given_when_a_lead_is_created_is_in_its_history(agent_ann: ApiClient) -> None:
    made = agent_ann.post(
        "/api/v1/contacts", json={"first_name": "Kim", "consent": {"email": "opted_in"}}
    )
    assert made.status_code == 201, made.text
    shown = agent_ann.get(f"/api/v1/contacts/{made.json()['id']}/consent").json()
    assert [(h["channel"], h["state"], h["source"], h["by"]) for h in shown["history"]] == [
        ("email", "opted_in", "api", "ann")
    ]


def test_replacing_a_leads_fields_keeps_its_consent_history(client: ApiClient) -> None:
    cid = _lead(client)
    client.post(
        f"/api/v1/contacts/{cid}/consent",
        json={"channel": "sms", "state": "opted_in", "source": "web_form", "evidence": CHECKBOX},
    )
    patched = client.patch(
        f"/api/v1/contacts/{cid}",
        json={"fields": {"budget": 450000, "consent_history": []}},  # an attempt to wipe it
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["fields"]["budget"] == 450000
    (entry,) = client.get(f"/api/v1/contacts/{cid}/consent").json()["history"]
    assert (entry["source"], entry["evidence"]) == ("web_form", CHECKBOX)
