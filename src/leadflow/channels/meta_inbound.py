"""What Meta's page webhook posts, parsed (pure functions), and Messenger messages recorded.

A post is ``{"object": "page" | "instagram", "entry": [...]}``; each entry is one page (its
``id``) with ``messaging`` items (a user's message: ``sender.id`` the PSID, ``recipient.id`` the
page, ``timestamp`` in milliseconds, ``message.mid`` / ``message.text``) and ``changes`` items
(``field: "leadgen"`` with ``value.leadgen_id``, ``page_id``, ``form_id``...). Echoes of the
page's own messages, deliveries, reads and other fields are skipped.

A message is recorded for the tenant owning the page: the contact linked to (page, PSID), else
a new contact (source ``facebook_messenger`` or ``instagram``), linked then; its thread's last
inbound time is set on the contact (the 24-hour window is judged by it) together with the
``messenger.received`` event, in one transaction. The event's dedupe key is the message's mid,
so a delivery Meta repeats is one event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from leadflow.errors import InvalidInput
from leadflow.model.meta import with_inbound
from leadflow.model.records import Contact, NewEvent
from leadflow.safe_input import json_object
from leadflow.store.contract import Store

OBJECTS = ("page", "instagram")
SOURCES = {"messenger": "facebook_messenger", "instagram": "instagram"}
MAX_TEXT = 4000


@dataclass(slots=True, frozen=True)
class InboundMessage:
    page_id: str
    psid: str
    mid: str
    text: str | None
    at: float  # epoch seconds (Meta's timestamp, ms)
    platform: str  # "messenger" or "instagram"


@dataclass(slots=True, frozen=True)
class LeadgenChange:
    page_id: str
    leadgen_id: str
    form_id: str | None
    ad_id: str | None
    created_time: float | None


@dataclass(slots=True)
class Parsed:
    messages: list[InboundMessage]
    leads: list[LeadgenChange]


def _id(value: Any, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise InvalidInput(f"{where}: must be an id (a string of at most 64 characters)")
    if not all(ch.isalnum() or ch in "_-.:" for ch in value):
        raise InvalidInput(f"{where}: must be an id (letters, digits, _-.:)")
    return value


def _seconds(value: Any, now: float) -> float:
    """Meta's millisecond timestamp as epoch seconds, never later than ``now``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return min(float(value) / 1000.0, now)
    return now


def parse(body: bytes, now: float) -> Parsed:
    """The messages and leadgen changes of a webhook post; InvalidInput naming the field that
    is wrong."""
    doc = json_object(body)
    kind = doc.get("object")
    if kind not in OBJECTS:
        raise InvalidInput(f"object: must be one of {', '.join(OBJECTS)}")
    entries = doc.get("entry")
    if not isinstance(entries, list):
        raise InvalidInput("entry: must be a list")
    platform = "instagram" if kind == "instagram" else "messenger"
    out = Parsed([], [])
    for i, entry in enumerate(entries):
        where = f"entry[{i}]"
        if not isinstance(entry, dict):
            raise InvalidInput(f"{where}: must be an object")
        page_id = _id(entry.get("id"), f"{where}.id")
        for j, item in enumerate(entry.get("messaging") or []):
            found = _message(item, f"{where}.messaging[{j}]", page_id, platform, now)
            if found is not None:
                out.messages.append(found)
        for j, change in enumerate(entry.get("changes") or []):
            lead = _leadgen(change, f"{where}.changes[{j}]", page_id)
            if lead is not None:
                out.leads.append(lead)
    return out


def _message(
    item: Any, where: str, page_id: str, platform: str, now: float
) -> InboundMessage | None:
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: must be an object")
    message = item.get("message")
    if not isinstance(message, dict) or message.get("is_echo"):
        return None  # a delivery, a read, a postback... or the page's own message echoed
    sender = item.get("sender")
    psid = _id(sender.get("id") if isinstance(sender, dict) else None, f"{where}.sender.id")
    mid = message.get("mid")
    if not isinstance(mid, str) or not mid or len(mid) > 256:
        raise InvalidInput(f"{where}.message.mid: must be a non-empty string")
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise InvalidInput(f"{where}.message.text: must be a string")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        raise InvalidInput(f"{where}.message.text: is longer than {MAX_TEXT} characters")
    return InboundMessage(page_id, psid, mid, text, _seconds(item.get("timestamp"), now), platform)


def _leadgen(change: Any, where: str, page_id: str) -> LeadgenChange | None:
    if not isinstance(change, dict):
        raise InvalidInput(f"{where}: must be an object")
    if change.get("field") != "leadgen":
        return None
    value = change.get("value")
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}.value: must be an object")
    leadgen_id = _id(value.get("leadgen_id"), f"{where}.value.leadgen_id")
    page = _id(value.get("page_id", page_id), f"{where}.value.page_id")
    if page != page_id:
        raise InvalidInput(f"{where}.value.page_id: is not the entry's page")
    form = value.get("form_id")
    ad = value.get("ad_id")
    created = value.get("created_time")
    return LeadgenChange(
        page_id,
        leadgen_id,
        _id(form, f"{where}.value.form_id") if form is not None else None,
        _id(ad, f"{where}.value.ad_id") if ad is not None else None,
        float(created) if isinstance(created, int | float) else None,
    )


def message_key(tenant_id: str, message: InboundMessage) -> str:
    return f"meta:mid:{tenant_id}:{message.page_id}:{message.mid}"[:300]


def record_message(store: Store, tenant_id: str, message: InboundMessage, now: float) -> str:
    """Record ``message`` for ``tenant_id`` (the page's owner); the contact's id. A message
    recorded before changes nothing."""
    if store.event_ids_by_dedupe([message_key(tenant_id, message)]):
        known = store.messenger_contact(tenant_id, message.page_id, message.psid)
        if known is not None:
            return known
    contact_id = store.messenger_contact(tenant_id, message.page_id, message.psid)
    contact = store.get_contact(contact_id) if contact_id else None
    if contact is not None and contact.tenant_id != tenant_id:
        contact = None  # never another tenant's contact
    if contact is None:
        contact = Contact(
            id="c_" + secrets.token_hex(10),
            fields={"source": SOURCES[message.platform]},
            created_at=now,
            updated_at=now,
            tenant_id=tenant_id,
        )
        if contact_id is None:
            linked = store.link_messenger(tenant_id, message.page_id, message.psid, contact.id, now)
            if linked != contact.id:  # another request linked it first: use that contact
                found = store.get_contact(linked)
                if found is not None and found.tenant_id == tenant_id:
                    contact = found
        else:  # the linked contact was deleted: link the new one
            store.relink_messenger(tenant_id, message.page_id, message.psid, contact.id, now)
    updated = replace(
        contact, fields=with_inbound(contact.fields, message.page_id, message.psid, message.at)
    )
    data = {
        "body": message.text or "",
        "from": message.psid,
        "mid": message.mid,  # Meta's id of the message (message_id names leadflow's messages)
        "page_id": message.page_id,
        "platform": message.platform,
    }
    event = NewEvent(
        "messenger.received", contact.id, data, message_key(tenant_id, message), message.at
    )
    store.save_contacts([updated], [event], now)
    return contact.id
