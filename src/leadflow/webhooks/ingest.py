"""Store an inbound :class:`~leadflow.webhooks.leads.Lead` in a tenant: create the contact, or
merge into the one with the same e-mail (case-insensitive), else the same phone; then append
its event (``lead.created`` for a new contact, ``lead.updated`` for a generic lead that merged;
other types as given). The sender's lead id makes a retried webhook one event."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, fields, replace

from leadflow.contacts.duplicates import find_duplicate
from leadflow.errors import InvalidInput
from leadflow.model.records import Contact, NewEvent, Scope
from leadflow.model.vocabulary import canonical
from leadflow.safe_input import value_problems
from leadflow.store.contract import Store
from leadflow.webhooks.leads import Lead


@dataclass(slots=True)
class Ingested:
    contact_id: str
    created: bool  # a new contact
    event_id: int | None  # None: the same lead was received before (a retry)
    event_type: str


def find_match(store: Store, tenant_id: str, lead: Lead) -> Contact | None:
    """The tenant's contact with the lead's e-mail, else its phone (the API's own rule)."""
    try:
        return find_duplicate(store, Scope(tenant_id), lead.email, lead.phone)
    except LookupError:
        return None


def merged(old: Contact, lead: Lead) -> Contact:
    """``old`` with the lead's values filled in (a value the lead lacks is kept)."""
    return replace(
        old,
        first_name=lead.first_name or old.first_name,
        last_name=lead.last_name or old.last_name,
        email=lead.email or old.email,
        phone=lead.phone or old.phone,
        owner=lead.owner or old.owner,
        tags=list(dict.fromkeys([*old.tags, *lead.tags])),
        fields={**old.fields, **lead.fields, **({"source": lead.source} if lead.source else {})},
        consent=dict(old.consent),
    )


def new_contact(tenant_id: str, lead: Lead, now: float) -> Contact:
    return Contact(
        id="c_" + secrets.token_hex(10),
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=lead.email,
        phone=lead.phone,
        owner=lead.owner,
        tags=list(dict.fromkeys(lead.tags)),
        fields={**lead.fields, **({"source": lead.source} if lead.source else {})},
        created_at=now,
        updated_at=now,
        tenant_id=tenant_id,
    )


def dedupe_key(tenant_id: str, route: str, lead: Lead, body: bytes) -> str:
    """From the sender's id when given, else from the body itself (a byte-identical retry)."""
    basis = f"ref:{lead.ref}" if lead.ref else "body:" + hashlib.sha256(body).hexdigest()
    digest = hashlib.sha256(f"{tenant_id}|{route}|{basis}".encode()).hexdigest()[:40]
    return f"hook:{digest}"


def check_storable(lead: Lead) -> None:
    """InvalidInput naming the first value of ``lead`` no store can hold: a lead e-mail's
    quoted-printable ``=00`` or undecodable bytes come out of parsing as a NUL or a lone
    surrogate, which the API's input guard cannot see in the raw message."""
    values = {f.name: getattr(lead, f.name) for f in fields(lead)}
    found = value_problems(values, "lead", limit=1)
    if found:
        where, problem = found[0]
        raise InvalidInput(f"{where} {problem}")


def ingest(store: Store, tenant_id: str, lead: Lead, key: str, now: float) -> Ingested:
    check_storable(lead)
    old = find_match(store, tenant_id, lead)
    contact = new_contact(tenant_id, lead, now) if old is None else merged(old, lead)
    kind = canonical(lead.event_type)
    if old is not None and kind == "lead.created":
        kind = "lead.updated"
    data = dict(lead.data) | {"contact": {"email": contact.email, "phone": contact.phone}}
    event = NewEvent(kind, contact.id, data, key, now)
    _, _, (event_id,) = store.save_contacts([contact], [event], now)  # together or not at all
    return Ingested(contact.id, old is None, event_id, kind)
