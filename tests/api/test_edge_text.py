"""Text and numbers no store can hold are refused at the edge with a 422 naming the field, on
SQLite and PostgreSQL, through every kind of route: JSON bodies (contacts, events and batches,
listings, drafts), queries, paths, inbound lead hooks (JSON and e-mail) and the provider
webhooks (Twilio's voice request, SendGrid's events). Written as a client that means harm."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadflow.api.app import create_app
from leadflow.model.records import Contact, ContactFilter, Scope
from leadflow.settings import Settings
from leadflow.store.factory import open_store
from support.api_client import ApiClient, admin_key, assert_problem
from support.hooks_app import Hooks, hooks_app
from support.stores import SQL_BACKENDS, database

JSON = {"content-type": "application/json"}


@pytest.fixture(params=SQL_BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def api(url: str) -> Iterator[ApiClient]:
    """An admin client of tenant acme, which has one contact, ``c1``."""
    token = admin_key(url)
    store = open_store(url)
    try:
        store.upsert_contacts([Contact("c1", first_name="Ann", tenant_id="acme")], 0.0)
    finally:
        store.close()
    app = create_app(Settings(db=url))
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def raw(client: ApiClient, method: str, path: str, text: str) -> Any:
    """Send ``text`` as the JSON body exactly as written (escapes and all)."""
    return client.request(method, path, content=text.encode(), headers=JSON)


def refused(response: Any, field: str, problem: str) -> dict[str, object]:
    body = assert_problem(response, 422)
    assert {"field": field, "problem": problem} in body["errors"], body  # type: ignore[operator]
    assert field in str(body["detail"])
    return body


def events_of(client: ApiClient) -> list[object]:
    got = client.get("/api/v1/events")
    assert got.status_code == 200, got.text
    items: list[object] = got.json()["items"]
    return items


def test_one_lone_surrogate_refuses_a_batch_of_500_naming_the_event(api: ApiClient) -> None:
    events = [
        {"type": "page.viewed", "contact_id": "c1", "data": {"note": f"n{i}"}} for i in range(500)
    ]
    text = json.dumps({"events": events}).replace('"n377"', '"bad \\ud800 note"')
    got = raw(api, "POST", "/api/v1/events/batch", text)
    refused(got, "body.events[377].data.note", "contains a lone surrogate")
    assert events_of(api) == []  # all or nothing: the 499 good ones are not stored either
    # the same batch without it goes in whole
    ok = raw(api, "POST", "/api/v1/events/batch", json.dumps({"events": events}))
    assert ok.status_code == 202 and ok.json()["accepted"] == 500


def test_a_lone_surrogate_in_a_key_of_event_data_is_named(api: ApiClient) -> None:
    got = raw(
        api, "POST", "/api/v1/events", '{"type": "x", "contact_id": "c1", "data": {"k\\udc00": 1}}'
    )
    refused(got, "body.data.k\\udc00", "the key contains a lone surrogate")


def test_nul_in_contact_fields_is_refused(api: ApiClient) -> None:
    got = api.post("/api/v1/contacts", json={"email": "ann@example.com", "first_name": "An\x00n"})
    refused(got, "body.first_name", "contains a NUL character")
    got = api.patch("/api/v1/contacts/c1", json={"fields": {"note": "a\x00b"}})
    refused(got, "body.fields.note", "contains a NUL character")
    got = raw(api, "PATCH", "/api/v1/contacts/c1", '{"last_name": "\\ud83d"}')
    refused(got, "body.last_name", "contains a lone surrogate")
    assert api.get("/api/v1/contacts/c1").json()["last_name"] is None


def test_a_retried_dedupe_key_with_a_nul_is_refused_each_time(api: ApiClient) -> None:
    event = {"type": "form.submitted", "contact_id": "c1", "dedupe_key": "k\x00"}
    for _ in range(2):
        refused(
            api.post("/api/v1/events", json=event), "body.dedupe_key", "contains a NUL character"
        )
    assert events_of(api) == []


def test_nul_in_a_query_or_a_path_is_refused(api: ApiClient) -> None:
    refused(api.get("/api/v1/contacts?q=a%00"), "query.q", "contains a NUL character")
    refused(
        api.get("/api/v1/events?contact_id=%00"), "query.contact_id", "contains a NUL character"
    )
    refused(api.get("/api/v1/contacts/c1%00"), "path.contact_id", "contains a NUL character")
    refused(api.get("/api/v1/workflows/k%00ey"), "path.key", "contains a NUL character")
    refused(api.get("/api/v1/listings/L%001"), "path.listing_key", "contains a NUL character")


def test_non_finite_numbers_are_refused_and_ids_checked_in_range(api: ApiClient) -> None:
    got = raw(
        api, "POST", "/api/v1/events", '{"type": "x", "contact_id": "c1", "data": {"n": NaN}}'
    )
    refused(got, "body.data.n", "is not a finite number")
    got = raw(
        api, "POST", "/api/v1/events", '{"type": "x", "contact_id": "c1", "data": {"n": 1e999}}'
    )
    refused(got, "body.data.n", "is not a finite number")
    # a huge integer in free-form data is kept as it is (JSON as text): no error either
    got = raw(
        api,
        "POST",
        "/api/v1/events",
        f'{{"type": "x", "contact_id": "c1", "data": {{"n": {2**70}}}}}',
    )
    assert got.status_code == 202, got.text
    assert [e["data"]["n"] for e in events_of(api)] == [2**70]  # type: ignore[index]
    # ids in paths are checked in range by their routes
    assert_problem(api.get("/api/v1/runs/" + "9" * 40), 422)
    assert_problem(api.get("/api/v1/messages/" + "9" * 5000), 422)


def test_listings_and_drafts_refuse_a_lone_surrogate(api: ApiClient) -> None:
    got = raw(api, "PUT", "/api/v1/listings/L1", '{"ListPrice": 100000, "City": "Aus\\ud800tin"}')
    refused(got, "body.City", "contains a lone surrogate")
    draft = '{"key": "w", "name": "W\\udfff", "start": "a", "nodes": []}'
    refused(
        raw(api, "PUT", "/api/v1/workflows/w/draft", draft),
        "body.name",
        "contains a lone surrogate",
    )
    assert api.get("/api/v1/workflows/w/draft").status_code == 404


@pytest.fixture
def hooks(url: str) -> Iterator[Hooks]:
    with hooks_app(url) as found:
        yield found


def _contacts(hooks: Hooks) -> list[object]:
    return list(hooks.runtime.store.find_contacts(ContactFilter(scope=Scope("acme"))))


def test_a_signed_inbound_lead_with_a_lone_surrogate_is_refused(hooks: Hooks) -> None:
    body = b'{"email": "cleo@park.io", "first_name": "Cl\\ud800eo"}'
    got = hooks.signed("/api/v1/hooks/acme/leads", body)
    refused(got, "body.first_name", "contains a lone surrogate")
    assert _contacts(hooks) == []


def test_a_lead_email_decoding_to_a_nul_is_refused(hooks: Hooks) -> None:
    mail = (
        b"From: leads@portal.example\r\nTo: inbox@acme.example\r\nSubject: New lead\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b'<html><head><meta name=3D"lead_email" content=3D"cleo@park.io">'
        b'<meta name=3D"lead_name" content=3D"Cleo=00 Park"></head></html>\r\n'
    )
    got = hooks.signed("/api/v1/hooks/acme/lead-email", mail, content_type="message/rfc822")
    body = assert_problem(got, 422)
    assert "contains a NUL character" in str(body["detail"]), body
    assert _contacts(hooks) == []


def test_twilio_voice_with_a_5000_digit_message_ref_is_answered(url: str) -> None:
    from support.twilio_app import twilio_app

    with twilio_app(url) as tw:
        got = tw.post("/webhooks/twilio/voice?m=" + "7" * 5000, {"CallSid": "CA1"})
        assert got.status_code == 200, got.text
        assert "<Response" in got.text
        got = tw.post("/webhooks/twilio/voice?m=" + "7" * 25, {"CallSid": "CA2"})
        assert got.status_code == 200, got.text


def test_sendgrid_event_with_a_40_digit_message_id_is_unknown_not_an_error(url: str) -> None:
    from support.email_app import email_app
    from support.email_peers import EventSigner

    signer = EventSigner()
    with email_app(url, sendgrid_webhook_public_key=signer.public_key_b64) as app:
        events = [
            {
                "email": "jane@example.com",
                "timestamp": int(app.clock.now()),
                "event": "delivered",
                "sg_event_id": "ev-1",
                "leadflow_message_id": "9" * 40,
            }
        ]
        body = json.dumps(events).encode()
        headers = signer.headers(body, app.clock.now())
        got = app.client.post("/webhooks/sendgrid/events", content=body, headers=headers)
        assert got.status_code == 200, got.text
        assert got.json()["unknown_message"] == 1


def test_store_untouched_after_refusals(url: str, api: ApiClient) -> None:
    got = raw(
        api, "POST", "/api/v1/contacts", '{"email": "x@example.com", "first_name": "\\ud800"}'
    )
    refused(got, "body.first_name", "contains a lone surrogate")
    store = open_store(url)
    try:
        ids = [c.id for c in store.find_contacts(ContactFilter(scope=Scope("acme")))]
    finally:
        store.close()
    assert ids == ["c1"]
