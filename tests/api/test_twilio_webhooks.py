"""/webhooks/twilio/*: only what Twilio signed gets in; each callback is recorded once."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from leadflow.model.records import Contact
from support.twilio_app import (
    LEAD,
    PUBLIC,
    SENDER,
    T0,
    TwilioApp,
    messages,
    start,
    text_flow,
    twilio_app,
)
from support.twilio_peer import AUTH_TOKEN, TwilioPeer

INBOUND = {
    "MessageSid": "SM" + "1" * 32,
    "AccountSid": "AC" + "0" * 31 + "1",
    "From": LEAD,
    "To": SENDER,
    "Body": "STOP",
    "NumMedia": "0",
    "FromState": "NY",
    "SmsStatus": "received",
    "ApiVersion": "2010-04-01",
}
CONSENTED = {"sms": "opted_in", "voice": "opted_in"}


@pytest.fixture
def tw(db_url: str, peer: TwilioPeer) -> Iterator[TwilioApp]:
    with twilio_app(db_url, peer) as app:
        app.runtime.store.upsert_contacts(
            [Contact("ann", first_name="Ann", phone=LEAD, tenant_id="acme", consent=CONSENTED)],
            T0,
        )
        yield app


def xml_ok(response: object) -> None:
    assert getattr(response, "status_code", None) == 200, getattr(response, "text", "")
    assert response.headers["content-type"].startswith("text/xml")  # type: ignore[attr-defined]
    assert response.text.endswith("<Response/>")  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ signatures
@pytest.mark.parametrize(
    "signed_url",
    [f"{PUBLIC}/webhooks/twilio/sms", "https://leads.example.com:443/webhooks/twilio/sms"],
)
def test_a_text_signed_with_or_without_the_port_is_recorded(tw: TwilioApp, signed_url: str) -> None:
    xml_ok(tw.post("/webhooks/twilio/sms", INBOUND, signed_url=signed_url))
    (event,) = tw.events("sms.received")
    assert event.contact_id == "ann" and event.dedupe_key == f"twilio:sms:{INBOUND['MessageSid']}"
    assert event.data == {
        "body": "STOP",
        "from": LEAD,
        "to": SENDER,
        "message_sid": INBOUND["MessageSid"],
        "opt_out_type": None,
        "media_urls": [],
        "from_state": "NY",
        "source": "twilio",
        "tenant_id": "acme",
    }


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ({"token": "not-the-auth-token"}, "does not match"),
        ({"signature": ""}, "no X-Twilio-Signature header"),
        ({"signed_url": f"{PUBLIC}/webhooks/twilio/status"}, "does not match"),
        ({"signed_url": "https://leads.example.com:8443/webhooks/twilio/sms"}, "does not match"),
    ],
)
def test_forged_or_unsigned_requests_are_refused_and_change_nothing(
    tw: TwilioApp, caplog: pytest.LogCaptureFixture, how: dict[str, str], reason: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="leadflow.api.twilio"):
        got = tw.post("/webhooks/twilio/sms", INBOUND, **how)
    assert got.status_code == 403
    assert got.headers["content-type"].startswith("application/problem+json")
    assert "X-Twilio-Signature" in got.json()["detail"]
    assert tw.events() == []
    (record,) = [r for r in caplog.records if r.name == "leadflow.api.twilio"]
    assert record.levelno == logging.WARNING
    line = record.getMessage()
    assert "sms" in line and reason in line
    assert AUTH_TOKEN not in caplog.text and "STOP" not in caplog.text and LEAD not in caplog.text


def test_a_replayed_request_is_refused_and_changes_nothing(
    tw: TwilioApp, caplog: pytest.LogCaptureFixture
) -> None:
    first = tw.post("/webhooks/twilio/sms", INBOUND)
    xml_ok(first)
    signature = first.request.headers["X-Twilio-Signature"]
    before = tw.events()
    with caplog.at_level(logging.WARNING, logger="leadflow.api.twilio"):
        again = tw.post("/webhooks/twilio/sms", INBOUND, signature=signature)
    assert again.status_code == 403
    assert tw.events() == before
    assert "replay" in caplog.text and signature not in caplog.text
    assert AUTH_TOKEN not in caplog.text


def test_a_request_that_failed_is_taken_when_twilio_retries_it(
    tw: TwilioApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twilio retries with the very same signature: a STOP whose first delivery hit a database
    failure must not be refused as a replay the second time."""
    store = tw.runtime.store
    real = store.append_events
    failures = iter([RuntimeError("database is locked")])

    def append_once_failing(*args: object, **kw: object) -> object:
        for exc in failures:
            raise exc
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "append_events", append_once_failing)
    try:
        first = tw.post("/webhooks/twilio/sms", INBOUND)
        assert first.status_code == 500
    except RuntimeError:
        pass  # the test transport may hand the app's exception back instead of a 500
    assert tw.events() == []
    signature = tw.post("/webhooks/twilio/sms", INBOUND).request.headers["X-Twilio-Signature"]
    (event,) = tw.events("sms.received")
    assert event.data["body"] == "STOP"
    replay = tw.post("/webhooks/twilio/sms", INBOUND, signature=signature)
    assert replay.status_code == 403  # once handled, the same request is a replay


def test_the_same_text_signed_anew_is_still_recorded_once(tw: TwilioApp) -> None:
    xml_ok(tw.post("/webhooks/twilio/sms", INBOUND))
    port = "https://leads.example.com:443/webhooks/twilio/sms"
    xml_ok(tw.post("/webhooks/twilio/sms", INBOUND, signed_url=port))  # Twilio retrying
    assert len(tw.events("sms.received")) == 1


def test_without_a_public_url_the_request_url_is_what_is_signed(db_url: str) -> None:
    with twilio_app(db_url, public_url=None) as tw:
        here = "http://testserver/webhooks/twilio/sms"
        public = PUBLIC + "/webhooks/twilio/sms"
        assert tw.post("/webhooks/twilio/sms", INBOUND, signed_url=public).status_code == 403
        xml_ok(tw.post("/webhooks/twilio/sms", INBOUND, signed_url=here))
        port = {**INBOUND, "MessageSid": "SM" + "2" * 32}
        ported = "http://testserver:80/webhooks/twilio/sms"
        xml_ok(tw.post("/webhooks/twilio/sms", port, signed_url=ported))
        assert len(tw.events("sms.received")) == 2


def test_without_an_auth_token_every_twilio_request_is_refused(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with twilio_app(db_url, twilio_auth_token=None) as tw:
        with caplog.at_level(logging.WARNING, logger="leadflow.api.twilio"):
            assert tw.post("/webhooks/twilio/sms", INBOUND).status_code == 403
        assert "no Twilio auth token is configured" in caplog.text
        assert tw.events() == []


def test_the_webhooks_are_not_api_routes(tw: TwilioApp) -> None:
    paths = tw.client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/webhooks/")]
    assert tw.client.post("/api/v1/webhooks/twilio/sms").status_code in (401, 404)


# ------------------------------------------------------------------------------ inbound texts
def test_a_text_reaches_the_number_owners_contact_only_and_a_stranger_is_kept_for_audit(
    tw: TwilioApp,
) -> None:
    """Another tenant's contact with the same phone gets nothing (tenant walls: see also
    test_inbound_routing.py); a sender nobody has as a contact is kept for audit."""
    store = tw.runtime.store
    from leadflow.tenancy import accounts

    accounts.create_tenant(store, "beta", "Beta Homes", T0)
    store.upsert_contacts([Contact("bea", phone=LEAD, tenant_id="beta")], T0)
    media = {
        **INBOUND,
        "Body": "Is it still available?",
        "NumMedia": "2",
        "MediaUrl0": "https://api.twilio.com/m/0",
        "MediaUrl1": "https://api.twilio.com/m/1",
        "OptOutType": "",
        "FromCity": "NEW YORK",
    }
    xml_ok(tw.post("/webhooks/twilio/sms", media))
    events = tw.events("sms.received")
    assert [(e.contact_id, e.dedupe_key) for e in events] == [
        ("ann", f"twilio:sms:{INBOUND['MessageSid']}")
    ]
    assert events[0].data["media_urls"] == [media["MediaUrl0"], media["MediaUrl1"]]
    stranger = {**INBOUND, "MessageSid": "SM" + "3" * 32, "From": "+13055550177"}
    xml_ok(tw.post("/webhooks/twilio/sms", stranger))
    (audit,) = [e for e in tw.events("sms.received") if e.contact_id is None]
    assert audit.data["from"] == "+13055550177" and audit.data["body"] == "STOP"


def test_twilios_opt_out_type_is_kept(tw: TwilioApp) -> None:
    xml_ok(tw.post("/webhooks/twilio/sms", {**INBOUND, "Body": "stop", "OptOutType": "STOP"}))
    (event,) = tw.events("sms.received")
    assert event.data["opt_out_type"] == "STOP"


# ------------------------------------------------------------------------------ status callbacks
def status(sid: str, value: str, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "MessageStatus": value, "SmsStatus": value,
            "AccountSid": "AC" + "0" * 31 + "1", "To": LEAD, "From": SENDER} | extra  # fmt: skip


def test_status_callbacks_become_facts_of_the_message(tw: TwilioApp, peer: TwilioPeer) -> None:
    start(tw, text_flow(), "ann")
    tw.settle()
    (msg,) = messages(tw, "ann")
    assert msg.provider_id and msg.status == "sent"
    for value in ("queued", "sent", "read"):
        xml_ok(tw.post("/webhooks/twilio/status", status(msg.provider_id, value)))
    assert [e for e in tw.events() if e.dedupe_key.startswith("twilio:status:")] == []
    xml_ok(tw.post("/webhooks/twilio/status", status(msg.provider_id, "delivered")))
    (delivered,) = tw.events("sms.delivered")
    assert delivered.contact_id == "ann"
    assert delivered.dedupe_key == f"twilio:status:{msg.provider_id}:delivered"
    assert delivered.data["message_id"] == msg.id
    assert delivered.data["provider_id"] == msg.provider_id
    assert delivered.data["provider_status"] == "delivered"
    assert delivered.data["source"] == "twilio"


def test_an_unknown_message_sid_records_nothing(tw: TwilioApp) -> None:
    xml_ok(tw.post("/webhooks/twilio/status", status("SM" + "9" * 32, "delivered")))
    assert tw.events() == []


def test_error_21610_in_a_callback_fails_the_text_and_says_the_number_opted_out(
    tw: TwilioApp,
) -> None:
    start(tw, text_flow(), "ann")
    tw.settle()
    (msg,) = messages(tw, "ann")
    assert msg.provider_id
    xml_ok(tw.post("/webhooks/twilio/status", status(msg.provider_id, "failed", ErrorCode="21610")))
    (failed,) = tw.events("sms.failed")
    assert failed.data["error"].startswith("error 21610: the number opted out")
    (opted,) = tw.events("sms.opted_out")
    assert opted.contact_id == "ann"
    assert opted.data["source"] == "twilio_21610" and opted.data["evidence"] == "error 21610"
    tw.settle()
    (after,) = messages(tw, "ann")
    assert after.status == "failed" and after.error and "21610" in after.error
