"""Texts and calls through Twilio end to end: a workflow's message leaves through the Twilio
provider to a loopback peer speaking Twilio's REST API, the worker runs on a virtual clock, and
Twilio's signed callbacks posted to the app move the message on (never backwards)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.model.records import Contact, Message
from leadflow.model.tenancy import Agent
from leadflow.tenancy import accounts
from support.twilio_app import (
    LEAD,
    PUBLIC,
    SENDER,
    T0,
    TwilioApp,
    call_flow,
    messages,
    start,
    text_flow,
    twilio_app,
)
from support.twilio_peer import ACCOUNT_SID, TwilioPeer

AGENT_PHONE = "+12125550199"
CONSENTED = {"sms": "opted_in", "voice": "opted_in"}


@pytest.fixture
def tw(db_url: str, peer: TwilioPeer) -> Iterator[TwilioApp]:
    with twilio_app(db_url, peer) as app:
        store = app.runtime.store
        accounts.add_agents(store, "acme", [Agent("acme", "jo", mobile_phone=AGENT_PHONE)], T0)
        store.upsert_contacts(
            [
                Contact("ann", first_name="Ann", phone=LEAD, owner="jo", tenant_id="acme",
                        consent=dict(CONSENTED)),
                Contact("bob", first_name="Bob", phone="+12125550124", tenant_id="acme",
                        consent=dict(CONSENTED)),
            ],
            T0,
        )  # fmt: skip
        yield app


def status(msg: Message, value: str, **extra: str) -> dict[str, str]:
    assert msg.provider_id
    return {
        "MessageSid": msg.provider_id,
        "SmsSid": msg.provider_id,
        "MessageStatus": value,
        "SmsStatus": value,
        "AccountSid": ACCOUNT_SID,
        "From": SENDER,
        "To": msg.to or "",
    } | extra


def only(tw: TwilioApp, contact_id: str) -> Message:
    (msg,) = messages(tw, contact_id)
    return msg


def test_a_text_leaves_through_twilio_and_a_status_callback_delivers_it(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    start(tw, text_flow(), "ann")
    tw.settle()
    (request,) = peer.accepted()
    assert request.get("To") == LEAD and request.get("From") == SENDER
    assert request.get("Body") == "Hi Ann, Jo from Acme."
    assert request.get("StatusCallback") == f"{PUBLIC}/webhooks/twilio/status"
    sent = only(tw, "ann")
    assert sent.status == "sent" and sent.provider_id == request.sid
    assert tw.post("/webhooks/twilio/status", status(sent, "sent")).status_code == 200
    tw.settle()
    assert only(tw, "ann").status == "sent"
    assert tw.post("/webhooks/twilio/status", status(sent, "delivered")).status_code == 200
    tw.settle()
    delivered = only(tw, "ann")
    assert delivered.status == "delivered" and delivered.delivered_at == T0


def test_late_callbacks_never_move_a_message_backwards(tw: TwilioApp) -> None:
    start(tw, text_flow(), "ann", "bob")
    tw.settle()
    ann, bob = only(tw, "ann"), only(tw, "bob")
    # Ann's: delivered arrives first, then a late "sent", then a carrier failure.
    for value, extra in [("delivered", {}), ("sent", {}), ("failed", {"ErrorCode": "30003"})]:
        assert tw.post("/webhooks/twilio/status", status(ann, value, **extra)).status_code == 200
        tw.settle()
        assert only(tw, "ann").status == "delivered", value
    # Bob's: sent, then delivered moves it forward.
    assert tw.post("/webhooks/twilio/status", status(bob, "sent")).status_code == 200
    tw.settle()
    assert only(tw, "bob").status == "sent"
    assert tw.post("/webhooks/twilio/status", status(bob, "delivered")).status_code == 200
    tw.settle()
    assert only(tw, "bob").status == "delivered"


def test_a_carrier_failure_fails_a_sent_text_with_its_meaning(tw: TwilioApp) -> None:
    start(tw, text_flow(), "ann")
    tw.settle()
    sent = only(tw, "ann")
    got = tw.post("/webhooks/twilio/status", status(sent, "undelivered", ErrorCode="30006"))
    assert got.status_code == 200
    tw.settle()
    failed = only(tw, "ann")
    assert failed.status == "failed"
    assert (
        failed.error == "error 30006: the number is a landline or its carrier cannot receive texts"
    )


def test_an_opted_out_number_fails_the_text_without_retrying(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    peer.refuse(LEAD, 400, 21610, "Attempt to send to unsubscribed recipient")
    start(tw, text_flow(), "ann")
    tw.settle()
    tw.tick(T0 + 86400)
    failed = only(tw, "ann")
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.error and failed.error.startswith("opted_out:")
    assert "opted out" in failed.error
    assert len(peer.requests) == 1
    (event,) = tw.events("sms.failed")
    assert event.data["error"] == failed.error
    # the number opted out at the carrier: our consent follows, with where we learnt it
    contact = tw.runtime.store.get_contact("ann")
    assert contact is not None
    assert (contact.consent["sms"], contact.consent["voice"]) == ("opted_out", "opted_out")
    (entry, _) = contact.fields["consent_history"]
    assert (entry["channel"], entry["source"]) == ("sms", "provider_opt_out")
    assert entry["evidence"] == failed.error


def test_a_server_error_at_twilio_is_retried_later(tw: TwilioApp, peer: TwilioPeer) -> None:
    peer.refuse(LEAD, 500, 20500, "Internal Server Error", times=1)
    start(tw, text_flow(), "ann")
    tw.settle()
    waiting = only(tw, "ann")
    assert waiting.status == "pending" and waiting.attempts == 1
    assert waiting.error and "HTTP 500" in waiting.error
    assert waiting.due_at > T0
    tw.tick(waiting.due_at)
    tw.settle()
    sent = only(tw, "ann")
    assert sent.status == "sent" and sent.attempts == 2
    assert [r.status for r in peer.requests] == [500, 201]
    assert sent.provider_id == peer.requests[1].sid


def test_a_signed_stop_opts_the_contact_out_and_a_queued_text_is_suppressed(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    start(tw, text_flow(pause_on_reply=False, then="Still looking, Ann?"), "ann")
    tw.settle()
    assert len(peer.accepted()) == 1
    tw.clock.set(T0 + 3600)
    tw.worker.advancer.advance_due(tw.clock.now())  # the second text is queued, not yet sent
    assert [m.status for m in messages(tw, "ann")] == ["sent", "pending"]
    stop = {
        "MessageSid": "SM" + "5" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": LEAD,
        "To": SENDER,
        "Body": "STOP",
        "NumMedia": "0",
        "OptOutType": "STOP",
    }
    got = tw.post("/webhooks/twilio/sms", stop)
    assert got.status_code == 200 and got.text.endswith("<Response/>")
    (received,) = tw.events("sms.received")
    assert received.contact_id == "ann" and received.data["body"] == "STOP"
    tw.settle()
    contact = tw.runtime.store.get_contact("ann")
    assert contact is not None
    assert contact.consent["sms"] == "opted_out" and contact.consent["voice"] == "opted_out"
    (change,) = [h for h in contact.fields["consent_history"] if h["channel"] == "sms"]
    assert change["evidence"] == "STOP" and change["event_id"] == received.id
    first, second = messages(tw, "ann")
    assert first.status == "sent"
    assert second.status == "suppressed" and second.suppressed_reason == "opted_out"
    assert len(peer.accepted()) == 1  # nothing more reached Twilio


# ---------------------------------------------------------------------------------- voice
def call_status(msg: Message, value: str, **extra: str) -> dict[str, str]:
    assert msg.provider_id
    return {"CallSid": msg.provider_id, "CallStatus": value, "AccountSid": ACCOUNT_SID,
            "From": SENDER, "To": msg.to or "", "Direction": "outbound-api"} | extra  # fmt: skip


def test_a_voicemail_drop_plays_after_the_beep_and_completes(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    start(tw, call_flow("voicemail_drop"), "ann")
    tw.settle()
    (request,) = peer.accepted("Calls")
    call = only(tw, "ann")
    assert call.status == "sent" and call.provider_id == request.sid
    assert request.get("Url") == f"{PUBLIC}/webhooks/twilio/voice?m={call.id}"
    assert request.get("MachineDetection") == "DetectMessageEnd"
    assert request.get("StatusCallback") == f"{PUBLIC}/webhooks/twilio/voice/status"
    answered = {**call_status(call, "in-progress"), "AnsweredBy": "machine_end_beep"}
    twiml = tw.post(f"/webhooks/twilio/voice?m={call.id}", answered)
    assert twiml.status_code == 200 and twiml.headers["content-type"].startswith("text/xml")
    assert twiml.text.endswith(
        "<Response><Play>https://cdn.example.com/vm.mp3</Play><Hangup /></Response>"
    )
    (event,) = tw.events("voice.answered")
    assert event.data["answered_by"] == "machine_end_beep" and event.data["message_id"] == call.id
    assert tw.post("/webhooks/twilio/voice/status", call_status(call, "ringing")).status_code == 200
    tw.settle()
    assert only(tw, "ann").status == "sent"
    done = call_status(call, "completed", CallDuration="31")
    assert tw.post("/webhooks/twilio/voice/status", done).status_code == 200
    tw.settle()
    assert only(tw, "ann").status == "delivered"
    late = call_status(call, "busy")
    assert tw.post("/webhooks/twilio/voice/status", late).status_code == 200
    tw.settle()
    assert only(tw, "ann").status == "delivered"


def test_a_live_call_is_bridged_to_the_owner_agent(tw: TwilioApp, peer: TwilioPeer) -> None:
    start(tw, call_flow("live"), "ann")
    tw.settle()
    call = only(tw, "ann")
    (request,) = peer.accepted("Calls")
    assert request.get("MachineDetection") is None
    human = {**call_status(call, "in-progress"), "AnsweredBy": "human"}
    twiml = tw.post(f"/webhooks/twilio/voice?m={call.id}", human)
    assert twiml.text.endswith(f"<Response><Dial>{AGENT_PHONE}</Dial><Hangup /></Response>")


def test_a_live_call_without_an_agent_phone_fails_at_once(tw: TwilioApp, peer: TwilioPeer) -> None:
    start(tw, call_flow("live"), "bob")  # bob has no owner agent
    tw.settle()
    failed = only(tw, "bob")
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.error and "no mobile phone" in failed.error
    assert peer.requests == []


def test_an_unanswered_call_fails_with_the_reason(tw: TwilioApp) -> None:
    start(tw, call_flow("voicemail_drop"), "ann")
    tw.settle()
    call = only(tw, "ann")
    assert (
        tw.post("/webhooks/twilio/voice/status", call_status(call, "no-answer")).status_code == 200
    )
    tw.settle()
    failed = only(tw, "ann")
    assert failed.status == "failed" and failed.error == "nobody answered"
