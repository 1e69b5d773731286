"""Messenger end to end: a lead writes to a tenant's page (signed webhook), a workflow answers
with a ``send_messenger`` node, the worker (virtual clock) sends it through the Meta provider to
a loopback Graph API with the page's token; Meta's 24-hour standard messaging window and its
message tags are enforced at dispatch, and Meta's own refusals fail the message for good."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import Contact, Message
from support.meta_app import (
    ACME_PAGE,
    ACME_TOKEN,
    APP_SECRET,
    BETA_PAGE,
    BETA_TOKEN,
    T0,
    MetaApp,
    meta_app,
)
from support.meta_peer import VERSION

HOUR, DAY = 3600.0, 86400.0


@pytest.fixture
def meta(db_url: str) -> Iterator[MetaApp]:
    with meta_app(db_url) as app:
        yield app


def reply_flow(key: str = "fb-reply") -> dict[str, Any]:
    return {
        "key": key,
        "name": "Messenger reply",
        "start": "hi",
        "triggers": [{"type": "event", "event": "messenger.received"}],
        "nodes": [
            {
                "id": "hi",
                "kind": "send_messenger",
                "body": "Thanks for writing to Acme! An agent will answer within the hour.",
            }
        ],
    }


def later_flow(key: str, **node: Any) -> dict[str, Any]:
    return {
        "key": key,
        "name": key,
        "start": "later",
        "nodes": [{"id": "later", "kind": "send_messenger", "body": "Still looking?"} | node],
    }


def start(meta: MetaApp, tenant: str, definition: dict[str, Any], contact_id: str) -> None:
    meta.settle()  # the lead's messages are processed first (a reply pauses live runs)
    rt, now = meta.runtime, meta.clock.now()
    publish(rt.store, rt.engine.catalog, definition, now, tenant_id=tenant)
    enroll(rt.store, rt.engine.catalog, definition["key"], now, contact_ids=[contact_id],
           tenant_id=tenant)  # fmt: skip


def lead(meta: MetaApp, tenant: str = "acme") -> Contact:
    (found,) = meta.contacts(tenant)
    return found


def only(messages: list[Message]) -> Message:
    (message,) = messages
    return message


def test_a_lead_that_writes_to_the_page_is_answered_there(
    meta: MetaApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rt = meta.runtime
    publish(rt.store, rt.engine.catalog, reply_flow(), T0, tenant_id="acme")
    assert meta.message(ACME_PAGE, "psid-ann", "m_1", "Is Elm St still available?").is_success
    meta.settle()
    (sent,) = meta.peer.sends()
    assert sent.path == f"/{VERSION}/{ACME_PAGE}/messages" and sent.token == ACME_TOKEN
    assert sent.body == {
        "recipient": {"id": "psid-ann"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Thanks for writing to Acme! An agent will answer within the hour."},
    }
    message = only(meta.messages(lead(meta).id))
    assert message.channel == "messenger" and message.status == "sent"
    assert message.to == "psid-ann" and message.provider_id == "m_peer000001"
    assert [e.data["message_id"] for e in meta.events("messenger.sent")] == [message.id]
    assert caplog.records  # the HTTP libraries did log the requests...
    assert ACME_TOKEN not in caplog.text and APP_SECRET not in caplog.text  # ...never a secret


def test_each_tenant_sends_from_its_own_page_with_its_own_token(meta: MetaApp) -> None:
    rt = meta.runtime
    publish(rt.store, rt.engine.catalog, reply_flow(), T0, tenant_id="acme")
    publish(rt.store, rt.engine.catalog, reply_flow(), T0, tenant_id="beta")
    meta.message(ACME_PAGE, "psid-a", "m_a", "hi acme")
    meta.message(BETA_PAGE, "psid-b", "m_b", "hi beta")
    meta.settle()
    sent = {(r.path, r.token, r.body["recipient"]["id"]) for r in meta.peer.sends() if r.body}
    assert sent == {
        (f"/{VERSION}/{ACME_PAGE}/messages", ACME_TOKEN, "psid-a"),
        (f"/{VERSION}/{BETA_PAGE}/messages", BETA_TOKEN, "psid-b"),
    }


def test_a_workflow_naming_another_tenants_page_sends_nothing(meta: MetaApp) -> None:
    meta.message(ACME_PAGE, "psid-ann", "m_1", "hello")
    meta.message(BETA_PAGE, "psid-ann", "m_2", "hello beta")  # beta's own contact
    start(meta, "acme", later_flow("steal", page_id=BETA_PAGE), lead(meta).id)
    meta.settle()
    message = only(meta.messages(lead(meta).id))
    assert message.status == "suppressed" and message.to is None
    assert meta.peer.sends() == []


@pytest.mark.parametrize(
    ("after", "node", "verdict", "reason"),
    [
        (23 * HOUR, {}, "sent", None),
        (25 * HOUR, {}, "suppressed", "messenger_window_closed"),
        (25 * HOUR, {"messaging_type": "UPDATE"}, "suppressed", "messenger_window_closed"),
        (
            3 * DAY,
            {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"},
            "sent",
            None,
        ),
        (
            8 * DAY,
            {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"},
            "suppressed",
            "messenger_human_agent_window_closed",
        ),
        (
            30 * DAY,
            {"messaging_type": "MESSAGE_TAG", "tag": "CONFIRMED_EVENT_UPDATE"},
            "sent",
            None,
        ),
    ],
)
def test_the_standard_messaging_window_and_tags_are_enforced_at_dispatch(
    meta: MetaApp, after: float, node: dict[str, Any], verdict: str, reason: str | None
) -> None:
    meta.message(ACME_PAGE, "psid-ann", "m_1", "Looking for a 3-bed in Austin")
    meta.clock.set(T0 + after)
    start(meta, "acme", later_flow("later", **node), lead(meta).id)
    meta.settle()
    message = only(meta.messages(lead(meta).id))
    assert message.status == verdict
    assert message.suppressed_reason == reason
    if verdict == "sent":
        (sent,) = meta.peer.sends()
        assert sent.body is not None and sent.body.get("tag") == node.get("tag")
    else:
        assert meta.peer.sends() == []  # Meta never sees it
        (event,) = meta.events("messenger.suppressed")
        assert event.data["reason"] == reason


def test_the_window_counts_from_the_leads_latest_message(meta: MetaApp) -> None:
    meta.message(ACME_PAGE, "psid-ann", "m_1", "first")
    meta.clock.set(T0 + 20 * HOUR)
    meta.message(ACME_PAGE, "psid-ann", "m_2", "second")
    meta.clock.set(T0 + 30 * HOUR)  # 30 h after the first, 10 h after the second
    start(meta, "acme", later_flow("later"), lead(meta).id)
    meta.settle()
    assert only(meta.messages(lead(meta).id)).status == "sent"


def test_metas_own_window_refusal_fails_the_message_for_good(meta: MetaApp) -> None:
    meta.message(ACME_PAGE, "psid-ann", "m_1", "hi")
    del meta.peer.last_inbound[(ACME_PAGE, "psid-ann")]  # Meta knows of no recent message
    start(meta, "acme", later_flow("later"), lead(meta).id)
    meta.settle()
    message = only(meta.messages(lead(meta).id))
    assert message.status == "failed"
    assert "outside the 24-hour messaging window" in (message.error or "")
    assert len(meta.peer.requests) == 1  # not retried
    (failed,) = meta.events("messenger.failed")
    assert "2018278" in failed.data["error"]


def test_a_person_who_is_not_available_fails_the_message_for_good(meta: MetaApp) -> None:
    meta.message(ACME_PAGE, "psid-ann", "m_1", "hi")
    meta.peer.unavailable.add("psid-ann")
    start(meta, "acme", later_flow("later"), lead(meta).id)
    meta.settle()
    message = only(meta.messages(lead(meta).id))
    assert message.status == "failed" and "not available" in (message.error or "")
    assert len(meta.peer.requests) == 1


def test_a_temporary_graph_error_is_retried(meta: MetaApp) -> None:
    meta.message(ACME_PAGE, "psid-ann", "m_1", "hi")
    meta.peer.fail_next(500, 2, "An unexpected error has occurred. Please retry later.")
    start(meta, "acme", later_flow("later"), lead(meta).id)
    meta.settle()
    message = only(meta.messages(lead(meta).id))
    assert message.status == "pending" and message.due_at is not None
    meta.tick(message.due_at + 1)
    meta.settle()
    message = only(meta.messages(lead(meta).id))
    assert message.status == "sent" and message.attempts == 2
    assert [r.status for r in meta.peer.requests] == [500, 200]


def test_a_lead_writing_again_pauses_its_drip(meta: MetaApp) -> None:
    meta.message(ACME_PAGE, "psid-ann", "m_1", "hi")
    drip = {
        "key": "drip",
        "name": "Drip",
        "start": "one",
        "settings": {"pause_on_reply": True},
        "nodes": [
            {"id": "one", "kind": "send_messenger", "body": "First", "next": "pause"},
            {"id": "pause", "kind": "wait", "duration": "2h", "next": "two"},
            {"id": "two", "kind": "send_messenger", "body": "Second"},
        ],
    }
    start(meta, "acme", drip, lead(meta).id)
    meta.settle()
    assert [r.body["message"]["text"] for r in meta.peer.sends() if r.body] == ["First"]
    meta.clock.set(T0 + HOUR)
    meta.message(ACME_PAGE, "psid-ann", "m_2", "Call me instead please")
    meta.settle()
    meta.tick(T0 + 3 * HOUR)
    meta.settle()
    assert [r.body["message"]["text"] for r in meta.peer.sends() if r.body] == ["First"]
    (run,) = meta.runtime.store.runs_of_contact(lead(meta).id)
    assert run.status == "paused"
    (first,) = meta.messages(lead(meta).id)
    assert first.replied_at == T0 + HOUR  # the reply is credited to the message it answered


def test_a_failed_send_takes_the_nodes_on_error_path(meta: MetaApp) -> None:
    meta.message(ACME_PAGE, "psid-ann", "m_1", "hi")
    meta.peer.unavailable.add("psid-ann")
    flow = {
        "key": "guarded",
        "name": "Guarded",
        "start": "m",
        "nodes": [
            {"id": "m", "kind": "send_messenger", "body": "Hi", "on_error": "fallback"},
            {"id": "fallback", "kind": "exit", "reason": "messenger_failed"},
        ],
    }
    start(meta, "acme", flow, lead(meta).id)
    meta.settle()
    (run,) = meta.runtime.store.runs_of_contact(lead(meta).id)
    assert (run.status, run.exit_reason) == ("exited", "messenger_failed")
