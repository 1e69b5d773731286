"""Tenant walls for inbound texts: a text goes to the tenant owning the number it was sent to
and to that tenant's contact only; a STOP opts out that tenant's contact only; a text to a
number nobody owns is dropped and counted; replays of a signed request in another spelling are
refused; the access log never shows an unsubscribe token. SQLite and PostgreSQL, through the
app's real HTTP stack, with Twilio's signatures and a loopback Twilio."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from leadflow.channels.twilio_signature import HEADER, FormParams, sign
from leadflow.channels.unsubscribe import Subscriber, UnsubscribeTokens
from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import Contact
from leadflow.model.senders import Sender
from support.api_client import ApiClient, admin_key
from support.email_app import email_app
from support.email_peers import SECRET
from support.stores import SQL_BACKENDS, database
from support.twilio_app import LEAD, PUBLIC, SENDER, T0, TwilioApp, messages, text_flow, twilio_app
from support.twilio_peer import ACCOUNT_SID, AUTH_TOKEN, TwilioPeer

B_NUMBER = "+13125550142"  # beta's own number
UNKNOWN = "+14155550100"  # nobody's
CONSENTED = {"sms": "opted_in", "voice": "opted_in"}


@pytest.fixture(params=SQL_BACKENDS)
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path, "routing.db") as url:
        yield url


@pytest.fixture
def tw(any_db: str, peer: TwilioPeer) -> Iterator[TwilioApp]:
    """acme owns SENDER (the operator gave it), beta registers B_NUMBER with its own admin key
    through the API; each has a contact with the same phone, LEAD."""
    with twilio_app(any_db, peer) as app:
        beta = admin_key(any_db, "beta")
        with ApiClient(app.client.app, headers={"Authorization": f"Bearer {beta}"}) as b:
            got = b.post(
                "/api/v1/tenants/current/senders", json={"kind": "phone", "address": B_NUMBER}
            )
            assert got.status_code == 201, got.text
        app.runtime.store.upsert_contacts(
            [
                Contact("ann", first_name="Ann", phone=LEAD, tenant_id="acme", consent=CONSENTED),
                Contact("bea", first_name="Bea", phone=LEAD, tenant_id="beta", consent=CONSENTED),
            ],
            T0,
        )
        yield app


def inbound(to: str, body: str, n: int = 1, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": "SM" + str(n) * 32,
        "AccountSid": ACCOUNT_SID,
        "From": LEAD,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    } | extra


def start_both(tw: TwilioApp) -> None:
    """Each tenant texts its contact now and again in an hour (runs stop on reply)."""
    rt, now = tw.runtime, tw.clock.now()
    for tenant, key, contact in (("acme", "hello", "ann"), ("beta", "beta-hello", "bea")):
        flow = text_flow(key, then=f"Still looking? ({tenant})")
        publish(rt.store, rt.engine.catalog, flow, now, tenant_id=tenant)
        enroll(rt.store, rt.engine.catalog, key, now, contact_ids=[contact], tenant_id=tenant)
    tw.settle()


def sent_from(peer: TwilioPeer) -> list[tuple[str | None, str | None]]:
    return [(r.get("From"), r.get("Body")) for r in peer.accepted()]


def consent(tw: TwilioApp, contact_id: str) -> dict[str, str]:
    found = tw.runtime.store.get_contact(contact_id)
    assert found is not None
    return dict(found.consent)


def test_each_tenants_texts_leave_from_its_own_number(tw: TwilioApp, peer: TwilioPeer) -> None:
    start_both(tw)
    assert sorted(sent_from(peer)) == [
        (SENDER, "Hi Ann, Jo from Acme."),
        (B_NUMBER, "Hi Bea, Jo from Acme."),
    ]


def test_a_text_to_a_tenants_number_reaches_only_that_tenants_contact(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    start_both(tw)
    got = tw.post("/webhooks/twilio/sms", inbound(SENDER, "Is it still available?"))
    assert got.status_code == 200 and got.text.endswith("<Response/>")
    tw.settle()
    received = tw.events("sms.received")
    assert [(e.contact_id, e.data["body"]) for e in received] == [("ann", "Is it still available?")]
    assert [e for e in tw.events() if e.contact_id == "bea" and "received" in e.type] == []
    # acme's run stops on the reply; beta's goes on and texts again an hour later
    tw.tick(T0 + 3600)
    tw.settle()
    assert [r.status for r in tw.runtime.store.runs_of_contact("ann")] == ["paused"]
    assert [m.status for m in messages(tw, "ann")] == ["sent"]
    assert [m.status for m in messages(tw, "bea")] == ["sent", "sent"]
    assert consent(tw, "bea") == CONSENTED
    # beta's admin sees none of it
    beta = admin_key(tw.runtime.store.url, "beta")
    with ApiClient(tw.client.app, headers={"Authorization": f"Bearer {beta}"}) as b:
        seen = b.get("/api/v1/events", params={"contact_id": "bea"}).text
    assert "still available" not in seen


def test_a_stop_to_a_tenants_number_opts_out_only_that_tenants_contact(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    start_both(tw)
    before = len(peer.accepted())
    assert tw.post("/webhooks/twilio/sms", inbound(SENDER, "STOP")).status_code == 200
    tw.settle()
    assert consent(tw, "ann")["sms"] == "opted_out"
    assert consent(tw, "bea") == CONSENTED
    bea = tw.runtime.store.get_contact("bea")
    assert bea is not None and "consent_history" not in bea.fields
    # one confirmation, from the number the STOP was sent to, to acme's lead alone
    answers = peer.accepted()[before:]
    assert [(r.get("From"), r.get("To")) for r in answers] == [(SENDER, LEAD)]
    assert "unsubscribed" in (answers[0].get("Body") or "")
    assert [m.payload.get("compliance") for m in messages(tw, "bea")] == [None]
    # and a STOP to beta's number opts out beta's contact
    assert tw.post("/webhooks/twilio/sms", inbound(B_NUMBER, "STOP", 2)).status_code == 200
    tw.settle()
    assert consent(tw, "bea")["sms"] == "opted_out"
    assert peer.accepted()[-1].get("From") == B_NUMBER


def test_a_stop_is_answered_from_the_number_that_was_texted(
    tw: TwilioApp, peer: TwilioPeer
) -> None:
    """A tenant with two numbers answers a STOP from the one the lead texted, not its first."""
    second = "+13125550177"
    tw.runtime.store.add_sender(Sender("beta", "phone", second, None), T0)
    start_both(tw)
    before = len(peer.accepted())
    assert tw.post("/webhooks/twilio/sms", inbound(second, "STOP", 3)).status_code == 200
    tw.settle()
    assert consent(tw, "bea")["sms"] == "opted_out"
    assert consent(tw, "ann") == CONSENTED
    assert [(r.get("From"), r.get("To")) for r in peer.accepted()[before:]] == [(second, LEAD)]


def test_a_text_to_an_unknown_number_is_dropped_logged_and_counted(
    tw: TwilioApp, caplog: pytest.LogCaptureFixture
) -> None:
    before = {c: consent(tw, c) for c in ("ann", "bea")}
    with caplog.at_level(logging.WARNING, logger="leadflow.api.twilio"):
        got = tw.post("/webhooks/twilio/sms", inbound(UNKNOWN, "STOP call me at 5"))
    assert got.status_code == 200 and got.text.endswith("<Response/>")  # Twilio must not retry
    tw.settle()
    assert tw.events() == []
    assert {c: consent(tw, c) for c in ("ann", "bea")} == before
    (record,) = [r for r in caplog.records if r.name == "leadflow.api.twilio"]
    assert UNKNOWN in record.getMessage() and "dropped" in record.getMessage()
    assert "call me" not in caplog.text and LEAD not in caplog.text
    assert AUTH_TOKEN not in caplog.text
    metrics = tw.client.get("/metrics").text
    assert 'leadflow_inbound_dropped_total{channel="sms",reason="unknown_to"} 1.0' in metrics


def _raw(pairs: list[tuple[str, str]], how: str) -> bytes:
    if how == "reordered":
        return urlencode(list(reversed(pairs))).encode()
    if how == "percent-encoded":  # every character of every value as %XX, spaces as %20
        return "&".join(
            f"{quote(k)}={''.join(f'%{b:02X}' for b in v.encode())}" for k, v in pairs
        ).encode()
    if how == "trailing-ampersand":
        return urlencode(pairs).encode() + b"&"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["reordered", "percent-encoded", "trailing-ampersand"])
def test_a_signed_request_sent_again_in_another_spelling_is_a_replay(
    tw: TwilioApp, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    pairs = list(inbound(SENDER, "Is it still available? 100% yes").items())
    first = tw.post("/webhooks/twilio/sms", pairs)
    assert first.status_code == 200
    tw.settle()
    before = (tw.events(), consent(tw, "ann"), messages(tw, "ann"))
    signature = sign(AUTH_TOKEN, PUBLIC + "/webhooks/twilio/sms", FormParams(pairs))
    assert first.request.headers[HEADER] == signature
    body = _raw(pairs, how)
    assert FormParams.parse(body).first() == dict(pairs)  # the same parameters
    with caplog.at_level(logging.WARNING, logger="leadflow.api.twilio"):
        again = tw.client.post(
            "/webhooks/twilio/sms",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", HEADER: signature},
        )
    assert again.status_code == 403
    assert "replay" in caplog.text
    tw.settle()
    assert (tw.events(), consent(tw, "ann"), messages(tw, "ann")) == before


def test_the_senders_api_keeps_each_number_to_one_tenant(tw: TwilioApp) -> None:
    beta = admin_key(tw.runtime.store.url, "beta")
    with ApiClient(tw.client.app, headers={"Authorization": f"Bearer {beta}"}) as b:
        path = "/api/v1/tenants/current/senders"
        items = b.get(path).json()["items"]
        assert [(i["kind"], i["address"], i["source"]) for i in items] == [
            ("phone", B_NUMBER, "registered")
        ]
        for taken in (SENDER, "+1 (212) 555-0100"):  # acme's, however written
            got = b.post(path, json={"kind": "phone", "address": taken})
            assert got.status_code == 409 and SENDER not in got.text
        bad = b.post(path, json={"kind": "phone", "address": "call me"})
        assert bad.status_code == 422 and "address" in bad.text
        assert b.delete(f"{path}/phone/{SENDER}").status_code == 404
    assert tw.runtime.store.sender_owner("phone", SENDER) == "acme"


def test_the_access_log_of_an_unsubscribe_request_hides_the_token(
    any_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    with email_app(any_db) as app:
        token = UnsubscribeTokens(SECRET).issue(Subscriber("acme", "jane", "email", 5), T0)
        with caplog.at_level(logging.INFO, logger="leadflow.api.access"):
            page = app.client.get(f"/u/{token}")
            done = app.client.post(
                f"/u/{token}",
                content=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        assert page.status_code == 200 and done.status_code == 200
        assert app.contact("jane").consent["email"] == "opted_out"
    lines = [r.getMessage() for r in caplog.records if r.name == "leadflow.api.access"]
    assert len(lines) == 2
    assert ['"GET /u/***"' in lines[0], '"POST /u/***"' in lines[1]] == [True, True]
    assert token not in caplog.text and token[:16] not in caplog.text
