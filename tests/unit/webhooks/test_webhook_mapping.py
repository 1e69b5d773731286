"""The pure payload -> Lead mappings."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from leadflow.errors import InvalidInput
from leadflow.webhooks import crm, lead_email, leads
from leadflow.webhooks.outbound import MAX_DELAY_S, backoff


def test_generic_lead_normalises_email_and_phone() -> None:
    lead = leads.from_json({"email": " A@B.CO ", "phone": "415 555 0134", "id": 7}, "ignored")
    assert (lead.email, lead.phone, lead.ref) == ("a@b.co", "+14155550134", "7")
    assert leads.from_json({"email": "a@b.co"}, "key-1").ref == "key-1"


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"first_name": "x"},
        {"email": "nope"},
        {"phone": "abc"},
        {"email": "a@b.co", "tags": "x"},
    ],
)
def test_generic_lead_refuses_bad_input(payload: object) -> None:
    with pytest.raises(InvalidInput):
        leads.from_json(payload)


def test_every_documented_crm_type_maps() -> None:
    assert crm.event_type("Seller  inquiry") == "lead.seller_inquiry"
    assert crm.event_type("INCOMING CALL") == "call.incoming"
    assert crm.event_type("Property Search") == "listing.searched"
    assert crm.event_type("Visited Website") == "site.visited"
    assert len(set(crm.EVENT_TYPES.values())) == 10
    with pytest.raises(InvalidInput):
        crm.event_type(None)


def test_crm_property_keeps_postal_code_a_string() -> None:
    prop = crm.reso_property({"code": "02134", "price": "$1,250,000", "bathrooms": 2.5})
    assert prop == {"PostalCode": "02134", "ListPrice": 1250000, "BathroomsTotalInteger": 2.5}
    with pytest.raises(InvalidInput):
        crm.reso_property({"price": "lots"})


def test_meta_tags_are_read_with_an_html_parser() -> None:
    html = '<META Name="lead_email" content="x@y.co"/><meta name="other" content="z">'
    assert lead_email.meta_tags(html) == {"lead_email": "x@y.co"}


def test_lead_email_in_a_single_html_part() -> None:
    msg = EmailMessage()
    msg["Subject"] = "Lead"
    msg.set_content(
        '<meta name="lead_phone" content="312-555-0101"><meta name="lead_type" content="renter">',
        subtype="html",
    )
    lead = lead_email.from_email(msg.as_bytes())
    assert lead.phone == "+13125550101" and lead.data["lead_type"] == "Renter"
    assert lead.tags == ["renter"]


def test_lead_email_without_metadata_is_invalid() -> None:
    msg = EmailMessage()
    msg.set_content("just text")
    with pytest.raises(InvalidInput, match="lead metadata"):
        lead_email.from_email(msg.as_bytes())
    with pytest.raises(InvalidInput):
        lead_email.from_email(b"   ")


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [30.0, 60.0, 120.0]
    assert backoff(20) == MAX_DELAY_S
