"""ai_compose as an operator sees it: the model's draft goes out when it passes every guardrail;
a planted bad draft (too many segments, too long, no sender or opt-out on a first text, a URL /
price / address / number the data does not hold, fair-housing steering) is refused and the
node's template goes out instead, the reason recorded with the message and the step. Without
a model, or with a model that fails, the template goes out. The model is a loopback server
speaking the chat-completions protocol (tests/support/llm_peer.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadflow.ai.guardrails import fair_housing, fair_housing_terms
from support.compose import GOOD, HELLO, TEMPLATE_TEXT, URL, draft, model_settings, sent_text, stock
from support.engine_kit import Kit
from support.llm_peer import API_KEY, LlmPeer, Reply, error, free_port_url, running_llm_peer
from support.stores import make_store


@pytest.fixture
def peer() -> Iterator[LlmPeer]:
    with running_llm_peer() as found:
        yield found


def kit_for(tmp_path: Path, **settings: Any) -> Kit:
    store = make_store("memory", tmp_path)
    return stock(Kit.create(store, "memory://", **settings))


def run_hello(kit: Kit) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(the text queued, its payload.compose, the step's data) of one enrolment."""
    kit.publish(HELLO)
    [run] = kit.enroll("hello", "ann")
    kit.settle()
    [message] = kit.messages(contact_id="ann")
    [step] = [s for s in kit.steps(run) if s.node == "text"]
    return message.body or "", message.payload["compose"], step.data or {}


def test_a_draft_that_passes_every_check_goes_out(tmp_path: Path, peer: LlmPeer) -> None:
    peer.script = [draft(GOOD)]
    kit = kit_for(tmp_path, **model_settings(peer.base_url))
    body, about, data = run_hello(kit)
    assert body == GOOD
    assert about == {"source": "model", "reasons": []}
    assert data["source"] == "model"
    [request] = peer.requests
    given = json.loads(request["messages"][1]["content"])
    assert given["listings"][0]["address"] == "12 Oak St, Austin, TX 78704"
    assert given["listings"][0]["url"] == URL
    assert given["sender"]["agent"] == "Sam Lee"
    assert given["first_text"] is True
    assert "Reply STOP to opt out" in request["messages"][0]["content"]
    [delivery] = kit.ledger()
    assert delivery.idempotency_key == kit.messages()[0].idempotency_key


BAD_DRAFTS = {
    "segments": GOOD.replace("Want to see it?", "Want to see it? 🏡"),
    "length": GOOD + " We would love to show you around at a time that suits you, any day this"
    " week or next, mornings or evenings.",
    "sender": GOOD.replace("it is Sam Lee. ", ""),
    "opt_out": GOOD.replace(" Reply STOP to opt out", ""),
    "url": GOOD.replace(URL, "https://elsewhere.example.test/deal"),
    "price": GOOD.replace("$420k", "$399k"),
    "address": GOOD.replace("12 Oak St", "12 Elm Street"),
    "number": GOOD.replace("3 beds", "5 beds"),
    "fair_housing": GOOD.replace("Want to see it?", "Great for families! Want to see it?"),
}
CHECK_OF = {"url": "facts", "price": "facts", "address": "facts", "number": "facts"}
SAID = {
    "segments": "3 SMS segments (UCS-2",
    "length": "characters, the limit is 240",
    "sender": "a first text must say who sends it",
    "opt_out": "a first text must say how to stop",
    "url": "the URL 'https://elsewhere.example.test/deal' is not in the data",
    "price": "the price '$399k' is not in the data",
    "address": "the address '12 Elm Street' is not in the data",
    "number": "the number '5' is not in the data",
    "fair_housing": "'great for families' describes or steers by familial status",
}


@pytest.mark.parametrize("flaw", sorted(BAD_DRAFTS))
def test_each_guardrail_refuses_a_planted_bad_draft_and_the_template_goes_out(
    tmp_path: Path, peer: LlmPeer, flaw: str
) -> None:
    peer.script = [draft(BAD_DRAFTS[flaw])]
    kit = kit_for(tmp_path, **model_settings(peer.base_url))
    body, about, data = run_hello(kit)
    assert body == TEMPLATE_TEXT
    assert about["source"] == "template"
    check = CHECK_OF.get(flaw, flaw)
    [reason] = [r for r in about["reasons"] if r.startswith(f"{check}:")]
    assert SAID[flaw] in reason
    assert len(about["reasons"]) == 1, about["reasons"]  # only the planted flaw
    assert data["source"] == "template" and SAID[flaw] in data["reason"]
    [kept] = kit.store.compose_drafts("default", "ann")
    assert kept.draft == BAD_DRAFTS[flaw]  # the refused draft is kept for review
    assert [d.body for d in kit.ledger()] == [TEMPLATE_TEXT]


def test_sender_and_opt_out_are_asked_only_of_a_first_text(tmp_path: Path, peer: LlmPeer) -> None:
    bare = GOOD.replace("it is Sam Lee. ", "").replace(" Reply STOP to opt out", "")
    peer.script = [draft(bare)]
    kit = kit_for(tmp_path, **model_settings(peer.base_url))
    kit.publish(
        "{key: intro, name: Intro, start: a, nodes: "
        '[{id: a, kind: send_sms, body: "Hi Ann, Sam Lee of Acme. Reply STOP to opt out"}]}'
    )
    kit.enroll("intro", "ann")
    kit.settle()
    kit.publish(HELLO)
    kit.enroll("hello", "ann")
    kit.settle()
    assert sent_text(kit) == ["Hi Ann, Sam Lee of Acme. Reply STOP to opt out", bare]
    given = json.loads(peer.requests[0]["messages"][1]["content"])
    assert given["first_text"] is False


def test_without_a_model_the_template_goes_out(tmp_path: Path) -> None:
    kit = kit_for(tmp_path)
    body, about, data = run_hello(kit)
    assert body == TEMPLATE_TEXT
    assert about == {"source": "template", "reasons": ["model: no model is configured"]}
    assert data["source"] == "template"


@pytest.mark.parametrize(
    "answer, said",
    [
        (error(500, "boom"), "model: the model server answered 500"),
        (Reply(content="Sure! Here is a text: Hi Ann"), "model: the answer was not a draft"),
        (draft(""), "length: the draft is empty"),
    ],
)
def test_a_failing_model_sends_the_template(
    tmp_path: Path, peer: LlmPeer, answer: Reply, said: str
) -> None:
    peer.script = [answer]
    kit = kit_for(tmp_path, **model_settings(peer.base_url))
    body, about, _ = run_hello(kit)
    assert body == TEMPLATE_TEXT
    assert any(r.startswith(said) for r in about["reasons"]), about["reasons"]


def test_a_model_server_that_is_down_sends_the_template(tmp_path: Path) -> None:
    kit = kit_for(tmp_path, **model_settings(free_port_url()))
    body, about, _ = run_hello(kit)
    assert body == TEMPLATE_TEXT
    assert about["reasons"][0].startswith("model: the model server at")


EMAIL = """
key: mail
name: Mail
start: match
nodes:
  - {id: match, kind: match_properties, top: 1, min_score: 0, next: mail}
  - id: mail
    kind: ai_compose
    channel: email
    brief: "Tell {{ contact.first_name }} about the listing."
    subject: "A home for you"
    body: "Hi {{ contact.first_name }}, a new home matches your search."
"""


def test_an_email_draft_is_checked_subject_and_all(tmp_path: Path, peer: LlmPeer) -> None:
    peer.script = [
        draft("12 Oak St is $420k. Sam Lee", subject="Perfect for young professionals"),
        draft("12 Oak St is $420k. Sam Lee", subject="12 Oak St, Austin"),
    ]
    kit = kit_for(tmp_path, **model_settings(peer.base_url))
    kit.publish(EMAIL)
    kit.enroll("mail", "ann")
    kit.settle()
    [refused] = kit.messages(contact_id="ann")
    assert (refused.subject, refused.body) == (
        "A home for you",
        "Hi Ann, a new home matches your search.",
    )
    assert refused.payload["compose"]["reasons"][0].startswith(
        "fair_housing: 'young professionals'"
    )
    assert refused.payload["marketing"] is True
    kit.add_contact("bob", owner="sam")
    kit.enroll("mail", "bob")
    kit.settle()
    [passed] = kit.messages(contact_id="bob")
    assert (passed.subject, passed.body) == ("12 Oak St, Austin", "12 Oak St is $420k. Sam Lee")
    assert passed.payload["compose"]["source"] == "model"


def test_the_fair_housing_list_is_read_from_its_data_file() -> None:
    groups = {group for group, _ in fair_housing_terms()}
    assert groups == {
        "race_color_national_origin",
        "religion",
        "sex",
        "familial_status",
        "disability",
    }
    assert fair_housing("A family room, a walk-in closet and a two-car garage.") == []
    assert fair_housing("An adults-only building near the CHRISTIAN school") == [
        "fair_housing: 'christian' describes or steers by religion",
        "fair_housing: 'adults-only' describes or steers by familial status",
    ]


@pytest.mark.parametrize(
    "change, why",
    [
        ({"phone": None}, "model: not asked (the contact has no phone)"),
        ({"consent": {"sms": "opted_out"}}, "model: not asked (the contact opted out of sms)"),
    ],
)
def test_no_model_call_for_a_text_that_cannot_go(
    tmp_path: Path, peer: LlmPeer, change: dict[str, Any], why: str
) -> None:
    peer.script = [draft(GOOD)]
    kit = kit_for(tmp_path, **model_settings(peer.base_url))
    kit.add_contact("ann", owner="sam", fields={"criteria": {"max_price": 450_000}}, **change)
    kit.publish(HELLO)
    kit.enroll("hello", "ann")
    kit.settle()
    [kept] = kit.store.compose_drafts("default", "ann")
    assert (kept.source, kept.reasons, kept.body) == ("template", (why,), TEMPLATE_TEXT)
    assert peer.requests == []  # no tokens spent
    assert kit.ledger() == []  # and nothing reached the lead


def test_a_draft_simulation_never_asks_the_model(
    peer: LlmPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulating a workflow draft runs synthetic leads in a scratch store: its ai_compose nodes
    send their template even when a model is configured (no tokens spent on synthetic leads)."""
    from leadflow.definitions.io import load_text
    from leadflow.simulate.draft import simulate_draft

    peer.script = [draft(GOOD)]
    monkeypatch.setenv("LEADFLOW_LLM_BASE_URL", peer.base_url)
    monkeypatch.setenv("LEADFLOW_LLM_API_KEY", "sk-peer-secret-9f8e7d6c5b4a")
    definition = load_text(HELLO)
    definition["triggers"] = [{"type": "event", "event": "lead.created"}]
    sim = simulate_draft(definition, leads=5, days=1)
    assert sim.runs.get("completed", 0) + sim.runs.get("exited", 0) == 5, sim.runs
    assert peer.requests == []


def test_a_lead_of_the_default_tenant_without_a_tenant_row(
    tmp_path: Path, peer: LlmPeer, caplog: pytest.LogCaptureFixture
) -> None:
    """Data entered without a tenant (the command line) belongs to "default", which may have
    no tenants row: the draft still goes out; the call the ledger cannot hold is logged."""
    text = "Hi Bo, this is Leadflow. Want to talk homes? Reply STOP to opt out"
    peer.script = [draft(text)]
    kit = Kit.create(make_store("sqlite", tmp_path), "", **model_settings(peer.base_url))
    assert kit.store.get_tenant("default") is None
    kit.add_contact("bo")
    kit.publish(
        "{key: hi, name: Hi, start: a, nodes: [{id: a, kind: ai_compose, brief: Say hello, "
        'body: "Hi {{ contact.first_name }}, Acme here. Reply STOP to opt out"}]}'
    )
    kit.enroll("hi", "bo")
    with caplog.at_level("WARNING", logger="leadflow.ai"):
        kit.settle()
    assert sent_text(kit, "bo") == [text]
    assert "AI call of tenant 'default' not recorded" in caplog.text
    assert API_KEY not in caplog.text
