"""WhatsApp through Twilio end to end: a ``send_whatsapp`` node's message leaves through the
Twilio provider to a loopback peer speaking Twilio's Messages API (``whatsapp:`` addresses,
``ContentSid`` templates), inbound messages and status callbacks come back through the signed
Twilio webhooks, and WhatsApp's rules hold at dispatch: the lead's WhatsApp opt-in, free-form
text only within 24 elapsed hours of the lead's last WhatsApp message (across a change of
daylight-saving time too), templates outside it, quiet hours and budgets as for texts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadflow.model.records import Contact, Message
from support.api_client import admin_key
from support.twilio_app import (
    LEAD,
    PUBLIC,
    SENDER,
    TwilioApp,
    messages,
    start,
    text_flow,
    twilio_app,
)
from support.twilio_peer import ACCOUNT_SID, TwilioPeer

NY = ZoneInfo("America/New_York")
TEMPLATE = "HX" + "b" * 32
BOB = "+12125550124"


def at(text: str) -> float:
    """Epoch seconds of a New York wall-clock time (``2025-11-01 10:00``)."""
    return datetime.fromisoformat(text).replace(tzinfo=NY).timestamp()


@pytest.fixture
def tw(db_url: str, peer: TwilioPeer) -> Iterator[TwilioApp]:
    peer.approve(TEMPLATE, "Hi {{1}}, it's Jo from Acme. Still looking in {{2}}?")
    with twilio_app(db_url, peer, whatsapp_provider="twilio") as app:
        app.runtime.store.upsert_contacts(
            [
                Contact("ann", first_name="Ann", phone=LEAD, tenant_id="acme",
                        fields={"area": "Queens"}, time_zone="America/New_York",
                        consent={"sms": "opted_in", "whatsapp": "opted_in"}),
                Contact("bob", first_name="Bob", phone=BOB, tenant_id="acme",
                        time_zone="America/New_York", consent={"sms": "opted_in"}),
            ],
            app.clock.now(),
        )  # fmt: skip
        yield app


def flow(key: str, *, body: str | None = None, template: bool = False) -> dict[str, Any]:
    node: dict[str, Any] = {"id": "wa", "kind": "send_whatsapp"}
    if body is not None:
        node["body"] = body
    if template:
        node["template"] = {
            "content_sid": TEMPLATE,
            "variables": {
                "1": "{{ contact.first_name }}",
                "2": "{{ contact.fields.area | default('town') }}",
            },
        }
    return {"key": key, "name": key, "start": "wa", "nodes": [node]}


def inbound(
    phone: str = LEAD, body: str = "Yes, tell me more", sid: str = "SM" + "1" * 32
) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{phone}",
        "To": f"whatsapp:{SENDER}",
        "Body": body,
        "NumMedia": "0",
        "ProfileName": "Ann",
    }


def lead_writes(tw: TwilioApp, when: float, **params: str) -> None:
    tw.clock.set(when)
    got = tw.post("/webhooks/twilio/sms", inbound(**params))
    assert got.status_code == 200, got.text
    tw.settle()


def send_at(tw: TwilioApp, when: float, definition: dict[str, Any], *who: str) -> None:
    tw.clock.set(when)
    start(tw, definition, *who)
    tw.settle()


def of(tw: TwilioApp, contact_id: str, key: str) -> Message:
    """The contact's one message from workflow ``key``."""
    store = tw.runtime.store
    runs = store.get_runs({m.run_id for m in messages(tw, contact_id) if m.run_id})
    (found,) = [
        m for m in messages(tw, contact_id) if m.run_id and runs[m.run_id].workflow_key == key
    ]
    return found


def test_free_form_within_the_window_leaves_with_whatsapp_addresses_and_is_delivered(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    lead_writes(tw, at("2025-06-16 10:00"))
    (received,) = tw.events("whatsapp.received")
    assert received.contact_id == "ann" and received.data["from"] == LEAD
    assert received.data["body"] == "Yes, tell me more" and received.data["channel"] == "whatsapp"
    assert tw.events("sms.received") == []
    send_at(tw, at("2025-06-16 11:00"), flow("hello", body="Hi {{ contact.first_name }}!"), "ann")
    (request,) = peer.accepted()
    assert request.get("To") == f"whatsapp:{LEAD}"
    assert request.get("From") == f"whatsapp:{SENDER}"
    assert request.get("Body") == "Hi Ann!" and request.get("ContentSid") is None
    assert request.get("StatusCallback") == f"{PUBLIC}/webhooks/twilio/status"
    msg = of(tw, "ann", "hello")
    assert (msg.channel, msg.status, msg.provider_id) == ("whatsapp", "sent", request.sid)
    callback = {
        "MessageSid": request.sid or "",
        "MessageStatus": "delivered",
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{SENDER}",
        "To": f"whatsapp:{LEAD}",
    }
    assert tw.post("/webhooks/twilio/status", callback).status_code == 200
    tw.settle()
    assert of(tw, "ann", "hello").status == "delivered"
    assert [e.data["message_id"] for e in tw.events("whatsapp.delivered")] == [msg.id]


def test_the_window_is_24_elapsed_hours_across_the_end_of_daylight_saving_time(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    # Ann writes on Saturday 1 November 2025 at 10:00 EDT; clocks go back at 02:00 on Sunday.
    wrote = at("2025-11-01 10:00")
    lead_writes(tw, wrote)
    # Sunday 08:59 EST is 23 h 59 min later: free-form text may still go.
    inside = at("2025-11-02 08:59")
    assert inside - wrote == 23 * 3600 + 59 * 60
    send_at(tw, inside, flow("inside", body="Still there?"), "ann")
    assert of(tw, "ann", "inside").status == "sent"
    assert [r.get("Body") for r in peer.accepted()] == ["Still there?"]
    # Sunday 09:30 EST reads as "23.5 hours later" on the wall clock, but 24.5 hours have
    # passed: the window has closed and nothing leaves.
    closed = at("2025-11-02 09:30")
    assert closed - wrote == 24.5 * 3600
    send_at(tw, closed, flow("closed", body="Still there?"), "ann")
    late = of(tw, "ann", "closed")
    assert (late.status, late.suppressed_reason) == ("suppressed", "whatsapp_session_closed")
    assert len(peer.accepted()) == 1
    (suppressed,) = tw.events("whatsapp.suppressed")
    assert suppressed.data["reason"] == "whatsapp_session_closed"


def test_outside_the_window_only_an_approved_template_leaves(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    # Ann never wrote on WhatsApp: free-form is held back, the template goes.
    send_at(tw, at("2025-06-16 11:00"), flow("free", body="Hi!"), "ann")
    assert of(tw, "ann", "free").suppressed_reason == "whatsapp_session_closed"
    send_at(tw, at("2025-06-16 11:05"), flow("tpl", template=True), "ann")
    (request,) = peer.accepted()
    assert request.get("To") == f"whatsapp:{LEAD}"
    assert request.get("ContentSid") == TEMPLATE and request.get("Body") is None
    assert json.loads(request.get("ContentVariables") or "") == {"1": "Ann", "2": "Queens"}
    msg = of(tw, "ann", "tpl")
    assert msg.status == "sent" and msg.payload["content_sid"] == TEMPLATE
    # The window that once was open closes again 24 hours after the lead's last message.
    lead_writes(tw, at("2025-06-16 12:00"))
    send_at(tw, at("2025-06-17 11:59"), flow("again", body="Hi again"), "ann")
    assert of(tw, "ann", "again").status == "sent"
    send_at(tw, at("2025-06-17 12:00"), flow("gone", body="Hi again"), "ann")
    assert of(tw, "ann", "gone").suppressed_reason == "whatsapp_session_closed"


def test_nothing_goes_to_a_lead_without_a_whatsapp_opt_in(tw: TwilioApp, peer: TwilioPeer) -> None:
    # Bob agreed to texts, not to WhatsApp; he even wrote on WhatsApp (his window is open).
    lead_writes(tw, at("2025-06-16 10:00"), phone=BOB, sid="SM" + "2" * 32)
    assert [e.contact_id for e in tw.events("whatsapp.received")] == ["bob"]
    send_at(tw, at("2025-06-16 10:30"), flow("free", body="Hi Bob"), "bob")
    send_at(tw, at("2025-06-16 10:31"), flow("tpl", template=True), "bob")
    for key in ("free", "tpl"):
        held = of(tw, "bob", key)
        assert (held.status, held.suppressed_reason) == ("suppressed", "no_whatsapp_consent")
    assert peer.accepted() == []
    # The opt-in, recorded for the channel through the API, opens the way; another tenant's
    # key cannot record it (the lead is not found there).
    db = tw.runtime.settings.db
    consent = {"channel": "whatsapp", "state": "opted_in", "source": "web_form",
               "evidence": "Yes, message me on WhatsApp"}  # fmt: skip
    other = tw.client.post(
        "/api/v1/contacts/bob/consent",
        json=consent,
        headers={"Authorization": f"Bearer {admin_key(db, 'globex')}"},
    )
    assert other.status_code == 404
    assert tw.runtime.store.get_contact("bob").consent.get("whatsapp") is None  # type: ignore[union-attr]
    given = tw.client.post(
        "/api/v1/contacts/bob/consent",
        json=consent,
        headers={"Authorization": f"Bearer {admin_key(db, 'acme')}"},
    )
    assert given.status_code == 200, given.text
    assert given.json()["consent"]["whatsapp"] == "opted_in"
    assert given.json()["consent"]["sms"] == "opted_in"
    send_at(tw, at("2025-06-16 10:40"), flow("after", body="Hi Bob"), "bob")
    assert of(tw, "bob", "after").status == "sent"
    assert [r.get("To") for r in peer.accepted()] == [f"whatsapp:{BOB}"]


def test_forged_and_replayed_whatsapp_webhooks_are_refused_and_change_nothing(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    tw.clock.set(at("2025-06-16 10:00"))
    forged = tw.post("/webhooks/twilio/sms", inbound(), token="not-the-auth-token")
    unsigned = tw.post("/webhooks/twilio/sms", inbound(), signature="")
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    tw.settle()
    assert tw.events("whatsapp.received") == []
    # No window was opened by the forgeries: free-form text stays held back.
    send_at(tw, at("2025-06-16 10:30"), flow("free", body="Hi"), "ann")
    assert of(tw, "ann", "free").suppressed_reason == "whatsapp_session_closed"
    assert peer.accepted() == []
    # A genuine message counts once; the very same signed request again is a replay.
    tw.clock.set(at("2025-06-16 10:40"))
    assert tw.post("/webhooks/twilio/sms", inbound()).status_code == 200
    assert tw.post("/webhooks/twilio/sms", inbound()).status_code == 403
    tw.settle()
    assert len(tw.events("whatsapp.received")) == 1
    # A forged status callback does not deliver a message.
    send_at(tw, at("2025-06-16 10:45"), flow("real", body="Hi"), "ann")
    sent = of(tw, "ann", "real")
    callback = {"MessageSid": sent.provider_id or "", "MessageStatus": "delivered"}
    assert tw.post("/webhooks/twilio/status", callback, token="forged").status_code == 403
    tw.settle()
    assert of(tw, "ann", "real").status == "sent"
    assert tw.events("whatsapp.delivered") == []


def test_quiet_hours_hold_a_whatsapp_message_as_they_hold_a_text(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    lead_writes(tw, at("2025-06-16 20:50"))
    send_at(tw, at("2025-06-16 21:10"), flow("late", body="Evening!"), "ann")
    assert peer.accepted() == [] and messages(tw, "ann") == []  # the run waits at its node
    tw.tick(at("2025-06-17 07:59"))
    tw.settle()
    assert peer.accepted() == []
    tw.tick(at("2025-06-17 08:00"))
    tw.settle()
    (request,) = peer.accepted()
    assert request.get("Body") == "Evening!"
    assert of(tw, "ann", "late").sent_at == at("2025-06-17 08:00")


def test_the_daily_budget_counts_whatsapp_messages_with_texts(
    db_url: str, peer: TwilioPeer
) -> None:
    with twilio_app(db_url, peer, whatsapp_provider="twilio", budget_per_day=1) as tw:
        tw.runtime.store.upsert_contacts(
            [Contact("ann", first_name="Ann", phone=LEAD, tenant_id="acme",
                     time_zone="America/New_York",
                     consent={"sms": "opted_in", "whatsapp": "opted_in"})],
            tw.clock.now(),
        )  # fmt: skip
        lead_writes(tw, at("2025-06-16 10:00"))
        text = {
            "key": "text",
            "name": "text",
            "start": "t",
            "nodes": [{"id": "t", "kind": "send_sms", "body": "Hi by text"}],
        }
        send_at(tw, at("2025-06-16 10:10"), text, "ann")
        send_at(tw, at("2025-06-16 10:20"), flow("wa", body="Hi on WhatsApp"), "ann")
        held = of(tw, "ann", "wa")
        assert (held.status, held.suppressed_reason) == ("deferred", "budget")
        assert [r.get("To") for r in peer.accepted()] == [LEAD]


def test_a_whatsapp_message_to_a_number_nobody_owns_is_dropped(tw: TwilioApp) -> None:
    params = inbound() | {"To": "whatsapp:+12125559999"}
    assert tw.post("/webhooks/twilio/sms", params).status_code == 200
    tw.settle()
    assert tw.events("whatsapp.received") == []


def test_stop_on_whatsapp_opts_out_of_whatsapp_only(tw: TwilioApp, peer: TwilioPeer) -> None:
    lead_writes(tw, at("2025-06-16 10:00"), body="STOP")
    ann = tw.runtime.store.get_contact("ann")
    assert ann is not None
    assert ann.consent == {"sms": "opted_in", "whatsapp": "opted_out"}
    (entry,) = ann.fields["consent_history"]
    assert (entry["channel"], entry["state"], entry["source"], entry["evidence"]) == (
        "whatsapp",
        "opted_out",
        "whatsapp_keyword",
        "STOP",
    )
    send_at(tw, at("2025-06-16 10:30"), flow("after", template=True), "ann")
    assert of(tw, "ann", "after").suppressed_reason == "opted_out"
    assert peer.accepted() == []  # and no SMS confirmation is sent for a WhatsApp STOP


def test_a_whatsapp_reply_pauses_a_run_that_stops_on_reply(tw: TwilioApp, peer: TwilioPeer) -> None:
    send_at(tw, at("2025-06-16 10:00"), text_flow("drip", then="Any questions?"), "ann")
    assert [r.get("Body") for r in peer.accepted()] == ["Hi Ann, Jo from Acme."]
    lead_writes(tw, at("2025-06-16 10:30"))
    tw.tick(at("2025-06-16 11:30"))
    tw.settle()
    (run,) = tw.runtime.store.runs_of_contact("ann")
    assert run.status == "paused"
    assert [r.get("Body") for r in peer.accepted()] == ["Hi Ann, Jo from Acme."]


def test_twilio_refusing_a_message_outside_its_window_fails_it_without_retrying(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    lead_writes(tw, at("2025-06-16 10:00"))
    peer.refuse(f"whatsapp:{LEAD}", 400, 63016, "Failed to send freeform message")
    send_at(tw, at("2025-06-16 10:30"), flow("refused", body="Hi"), "ann")
    failed = of(tw, "ann", "refused")
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.error == (
        "twilio answered HTTP 400: error 63016: a free-form WhatsApp message outside the "
        "24-hour window (send a template)"
    )
    assert [r.status for r in peer.requests] == [400]
    assert [e.data["message_id"] for e in tw.events("whatsapp.failed")] == [failed.id]
