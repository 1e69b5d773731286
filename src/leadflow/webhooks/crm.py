"""CRM-style lead events (``{source, system, type, message, person{...}, property{...}}``).

Event types, by the CRM's ``type``:

=====================  ==========================
CRM type               leadflow event type
=====================  ==========================
Registration           ``lead.registration``
Inquiry                ``lead.inquiry``
Seller Inquiry         ``lead.seller_inquiry``
Property Inquiry       ``lead.property_inquiry``
Viewed Property        ``listing.viewed``
Saved Property         ``listing.saved``
Visited Website        ``site.visited``
Incoming Call          ``call.incoming``
Property Search        ``listing.searched``
Visited Open House     ``open_house.visited``
=====================  ==========================

The property goes into the event data under RESO Data Dictionary names (``UnparsedAddress``,
``City``, ``StateOrProvince``, ``PostalCode``, ``ListingId``, ``ListPrice``, ``BedroomsTotal``,
``BathroomsTotalInteger``, ``LivingArea``).
"""

from __future__ import annotations

from typing import Any

from leadflow.errors import InvalidInput
from leadflow.webhooks.leads import Lead, email_of, phone_of, require_reachable, tags_of, text

EVENT_TYPES = {
    "registration": "lead.registration",
    "inquiry": "lead.inquiry",
    "seller inquiry": "lead.seller_inquiry",
    "property inquiry": "lead.property_inquiry",
    "viewed property": "listing.viewed",
    "saved property": "listing.saved",
    "visited website": "site.visited",
    "incoming call": "call.incoming",
    "property search": "listing.searched",
    "visited open house": "open_house.visited",
}

_PROPERTY = {
    "street": "UnparsedAddress",
    "city": "City",
    "state": "StateOrProvince",
    "code": "PostalCode",
    "mlsNumber": "ListingId",
    "price": "ListPrice",
    "bedrooms": "BedroomsTotal",
    "bathrooms": "BathroomsTotalInteger",
    "area": "LivingArea",
}
_NUMBERS = frozenset({"ListPrice", "BedroomsTotal", "BathroomsTotalInteger", "LivingArea"})


def event_type(crm_type: Any) -> str:
    name = text(crm_type, "type", 100)
    if name is None:
        raise InvalidInput("type is required")
    found = EVENT_TYPES.get(" ".join(name.lower().split()))
    if found is None:
        known = ", ".join(sorted(t.title() for t in EVENT_TYPES))
        raise InvalidInput(f"type {name!r} is not one of: {known}")
    return found


def reso_property(prop: Any) -> dict[str, Any]:
    """The CRM property under RESO names (PostalCode kept a string; numbers as numbers)."""
    if prop is None:
        return {}
    if not isinstance(prop, dict):
        raise InvalidInput("property must be an object")
    out: dict[str, Any] = {}
    for key, reso in _PROPERTY.items():
        value = prop.get(key)
        if value is None or value == "":
            continue
        if reso in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise InvalidInput(f"property.{key} must be a number")
            try:
                number = float(str(value).replace(",", "").lstrip("$"))
            except ValueError:
                raise InvalidInput(f"property.{key} must be a number") from None
            out[reso] = int(number) if number.is_integer() else number
        else:
            out[reso] = text(value, f"property.{key}", 500)
    return out


def _first(items: Any, where: str) -> Any:
    if items is None:
        return None
    if not isinstance(items, list):
        raise InvalidInput(f"{where} must be a list of {{value}} objects")
    for item in items:
        value = item.get("value") if isinstance(item, dict) else None
        if value:
            return value
    return None


def from_crm(payload: Any, idempotency_key: str | None = None) -> Lead:
    if not isinstance(payload, dict):
        raise InvalidInput("the body must be a JSON object")
    person = payload.get("person") or {}
    if not isinstance(person, dict):
        raise InvalidInput("person must be an object")
    kind = event_type(payload.get("type"))
    prop = reso_property(payload.get("property"))
    source = text(payload.get("source"), "source", 200)
    data: dict[str, Any] = {
        "crm_type": text(payload.get("type"), "type", 100),
        "source": source,
        "system": text(payload.get("system"), "system", 200),
        "message": text(payload.get("message"), "message", 10000),
    }
    if prop:
        data["property"] = prop
    lead = Lead(
        first_name=text(person.get("firstName"), "person.firstName", 200),
        last_name=text(person.get("lastName"), "person.lastName", 200),
        email=email_of(_first(person.get("emails"), "person.emails"), "person.emails"),
        phone=phone_of(_first(person.get("phones"), "person.phones"), "person.phones"),
        source=source,
        tags=tags_of(person.get("tags"), "person.tags"),
        event_type=kind,
        data={k: v for k, v in data.items() if v is not None},
        ref=text(payload.get("id"), "id", 200) or text(idempotency_key, "Idempotency-Key", 200),
    )
    return require_reachable(lead)
