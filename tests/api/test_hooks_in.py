"""Inbound lead webhooks: signed by the tenant's secret, merged into its contacts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from leadflow.model.records import ContactFilter, Scope
from support.api_client import assert_problem
from support.hooks_app import T0, Hooks, hooks_app

LEADS = "/api/v1/hooks/acme/leads"


@pytest.fixture
def hooks(db_url: str) -> Iterator[Hooks]:
    with hooks_app(db_url) as h:
        yield h


def _contacts(h: Hooks, tenant: str = "acme") -> list[object]:
    return list(h.runtime.store.find_contacts(ContactFilter(scope=Scope(tenant))))


def test_a_signed_lead_creates_a_contact_and_an_event(hooks: Hooks) -> None:
    lead = {
        "first_name": "Ada",
        "last_name": "Byron",
        "email": "Ada@Example.COM",
        "phone": "(415) 555-0134",
        "source": "Zillow",
        "message": "Is it still available?",
        "tags": ["buyer"],
        "fields": {"budget": 900000},
    }
    got = hooks.signed(LEADS, lead)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["created"] and body["event_type"] == "lead.created"
    contact = hooks.runtime.store.get_contact(body["contact_id"])
    assert contact is not None and contact.tenant_id == "acme"
    assert (contact.email, contact.phone) == ("ada@example.com", "+14155550134")
    assert contact.tags == ["buyer"] and contact.fields["budget"] == 900000
    (event,) = hooks.runtime.store.list_events(contact_id=contact.id)
    assert event.type == "lead.created" and event.data["message"] == "Is it still available?"


def test_leads_merge_by_email_then_phone_and_retries_are_one_event(hooks: Hooks) -> None:
    first = hooks.signed(LEADS, {"id": "z-1", "email": "ada@example.com"}).json()
    hooks.clock.advance(1)
    again = hooks.signed(LEADS, {"id": "z-1", "email": "ada@example.com"}).json()
    assert again["event_id"] is None and again["contact_id"] == first["contact_id"]
    hooks.clock.advance(1)
    by_email = hooks.signed(LEADS, {"email": "ADA@example.com", "phone": "415-555-0134"}).json()
    assert by_email["contact_id"] == first["contact_id"]
    assert not by_email["created"] and by_email["event_type"] == "lead.updated"
    hooks.clock.advance(1)
    by_phone = hooks.signed(
        LEADS,
        {"phone": "+1 415 555 0134", "first_name": "Ada"},
        headers={"Idempotency-Key": "k-9"},
    ).json()
    assert by_phone["contact_id"] == first["contact_id"]
    (contact,) = _contacts(hooks)
    assert contact.first_name == "Ada" and contact.phone == "+14155550134"  # type: ignore[attr-defined]
    types = [e.type for e in hooks.runtime.store.list_events()]
    assert types == ["lead.created", "lead.updated", "lead.updated"]


@pytest.mark.parametrize("case", ["forged", "stale", "future", "missing", "no-tenant"])
def test_bad_signatures_are_401_and_write_nothing(
    hooks: Hooks, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    lead = {"email": "ada@example.com"}
    path = "/api/v1/hooks/nobody/leads" if case == "no-tenant" else LEADS
    with caplog.at_level(logging.WARNING, logger="leadflow.api.hooks"):
        if case == "forged":
            got = hooks.signed(path, lead, secret="whsec_guess")
        elif case == "stale":
            got = hooks.signed(path, lead, at=T0 - 301)
        elif case == "future":
            got = hooks.signed(path, lead, at=T0 + 301)
        elif case == "missing":
            got = hooks.client.post(path, json=lead, headers={"Authorization": ""})
        else:
            got = hooks.signed(path, lead)
    assert_problem(got, 401)
    assert _contacts(hooks) == [] and hooks.runtime.store.list_events() == []
    assert any("refused" in r.getMessage() for r in caplog.records)
    assert all(hooks.secret not in r.getMessage() for r in caplog.records)
    assert all("ada@example.com" not in r.getMessage() for r in caplog.records)


def test_a_replayed_request_is_refused(hooks: Hooks) -> None:
    raw = b'{"email": "ada@example.com"}'
    from leadflow.webhooks import signing

    header = signing.sign(hooks.secret, T0, raw)
    sent = {signing.HEADER: header, "Content-Type": "application/json", "Authorization": ""}
    assert hooks.client.post(LEADS, content=raw, headers=sent).status_code == 200
    assert_problem(hooks.client.post(LEADS, content=raw, headers=sent), 401)
    assert len(hooks.runtime.store.list_events()) == 1


def test_rotating_the_secret_retires_the_old_one(hooks: Hooks) -> None:
    old = hooks.secret
    hooks.secret = hooks.client.post("/api/v1/webhooks/secret").json()["secret"]
    assert_problem(hooks.signed(LEADS, {"email": "a@b.co"}, secret=old), 401)
    assert hooks.signed(LEADS, {"email": "a@b.co"}).status_code == 200


def test_a_lead_without_email_or_phone_is_422(hooks: Hooks) -> None:
    body = assert_problem(hooks.signed(LEADS, {"first_name": "Ada"}), 422)
    assert "email or a phone" in str(body["detail"])
    assert_problem(hooks.signed(LEADS, b"not json"), 422)
    assert_problem(hooks.signed(LEADS, {"email": "x@y.co", "phone": "12"}), 422)


@pytest.mark.parametrize(
    ("crm_type", "event_type"),
    [
        ("Registration", "lead.registration"),
        ("Property Inquiry", "lead.property_inquiry"),
        ("Viewed Property", "listing.viewed"),
        ("Saved Property", "listing.saved"),
        ("Visited Open House", "open_house.visited"),
    ],
)
def test_crm_events_map_types_and_property(hooks: Hooks, crm_type: str, event_type: str) -> None:
    payload = {
        "source": "MyIDX",
        "system": "CRM",
        "type": crm_type,
        "message": "hello",
        "person": {
            "firstName": "Ben",
            "lastName": "Ng",
            "emails": [{"value": "BEN@ng.io"}],
            "phones": [{"value": "212-555-0199"}],
            "tags": ["idx"],
        },
        "property": {
            "street": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "code": "78701",
            "mlsNumber": "MLS-1",
            "price": "525000",
            "bedrooms": 3,
            "bathrooms": 2,
            "area": 1800,
        },
    }
    got = hooks.signed("/api/v1/hooks/acme/crm-events", payload)
    assert got.status_code == 200, got.text
    assert got.json()["event_type"] == event_type
    (event,) = hooks.runtime.store.list_events()
    assert event.type == event_type
    assert event.data["property"] == {
        "UnparsedAddress": "1 Main St",
        "City": "Austin",
        "StateOrProvince": "TX",
        "PostalCode": "78701",
        "ListingId": "MLS-1",
        "ListPrice": 525000,
        "BedroomsTotal": 3,
        "BathroomsTotalInteger": 2,
        "LivingArea": 1800,
    }
    (contact,) = _contacts(hooks)
    assert contact.email == "ben@ng.io" and contact.phone == "+12125550199"  # type: ignore[attr-defined]


def test_an_unknown_crm_type_is_422(hooks: Hooks) -> None:
    body = {"type": "Sent Fax", "person": {"emails": [{"value": "a@b.co"}]}}
    assert_problem(hooks.signed("/api/v1/hooks/acme/crm-events", body), 422)


def _lead_email(meta: dict[str, str]) -> bytes:
    msg = EmailMessage()
    msg["From"] = "leads@portal.example"
    msg["To"] = "inbox@acme.example"
    msg["Subject"] = "New lead"
    msg["Message-ID"] = "<lead-1@portal.example>"
    msg.set_content("A new lead is waiting.")
    tags = "".join(f'<meta name="{k}" content="{v}">' for k, v in meta.items())
    msg.add_alternative(f"<html><head>{tags}</head><body><p>New lead</p></body></html>", "html")
    return msg.as_bytes()


def test_a_lead_email_with_metadata_becomes_a_lead(hooks: Hooks) -> None:
    raw = _lead_email(
        {
            "lead_information_version": "1.0",
            "lead_source": "Zillow",
            "lead_type": "Seller",
            "lead_name": "Cleo Park",
            "lead_email": "Cleo@Park.io",
            "lead_phone": "(312) 555-0101",
            "lead_message": "Please call",
            "lead_property_address": "9 Elm St",
            "lead_mls": "A123",
            "lead_max_price": "450000",
        }
    )
    got = hooks.signed("/api/v1/hooks/acme/lead-email", raw, content_type="message/rfc822")
    assert got.status_code == 200, got.text
    (contact,) = _contacts(hooks)
    assert (contact.first_name, contact.last_name) == ("Cleo", "Park")  # type: ignore[attr-defined]
    assert contact.email == "cleo@park.io" and contact.phone == "+13125550101"  # type: ignore[attr-defined]
    (event,) = hooks.runtime.store.list_events()
    assert event.type == "lead.created"
    assert event.data["lead_type"] == "Seller" and event.data["max_price"] == 450000
    assert event.data["property"] == {"UnparsedAddress": "9 Elm St", "ListingId": "A123"}


def test_a_lead_email_without_email_or_phone_is_422(hooks: Hooks) -> None:
    raw = _lead_email({"lead_name": "Cleo Park", "lead_source": "Zillow"})
    body = assert_problem(
        hooks.signed("/api/v1/hooks/acme/lead-email", raw, content_type="text/plain"), 422
    )
    assert "lead_email" in str(body["detail"]) and "lead_phone" in str(body["detail"])
    assert _contacts(hooks) == []
