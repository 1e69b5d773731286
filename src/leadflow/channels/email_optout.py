"""E-mail opt-outs (an unsubscribe link, a one-click POST, a provider's unsubscribe or spam
report): recorded as an event and applied to the contact's consent at once.

The event (``email.unsubscribed`` / ``email.spam_reported``) is the record: deduped per contact
and message, so a second click changes nothing. The consent change is made in the same call
rather than left to the event processor, so an unsubscribe is honoured before the next send
even when no worker runs; the history entry names the event, and applying the same opt-out
again (an already opted-out contact, the event processed later) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.model.records import ContactPatch, NewEvent
from leadflow.store.contract import Store

HISTORY = "consent_history"
OPTED_OUT = "opted_out"
EVIDENCE_CHARS = 160


@dataclass(slots=True, frozen=True)
class OptOut:
    contact_id: str
    source: str  # list_unsubscribe_post, unsubscribe_page, sendgrid_unsubscribe...
    evidence: str
    message_id: int | None = None
    event_type: str = "email.unsubscribed"


@dataclass(slots=True, frozen=True)
class OptOutResult:
    event_id: int | None  # None: the same opt-out was recorded before
    changed: bool  # the contact's e-mail consent went to opted_out now


def opt_out_patch(
    store: Store, contact_id: str, source: str, evidence: str, at: float, event_id: int | None
) -> ContactPatch | None:
    """The patch that opts the contact out of e-mail, or None when nothing is to change."""
    contact = store.get_contact(contact_id)
    if contact is None or contact.consent.get("email") == OPTED_OUT:
        return None
    history: list[Any] = list(contact.fields.get(HISTORY) or [])
    history.append(
        {
            "channel": "email",
            "state": OPTED_OUT,
            "source": source,
            "at": at,
            "evidence": evidence[:EVIDENCE_CHARS],
            "event_id": event_id,
        }
    )
    return ContactPatch(contact_id, set={HISTORY: history}, consent={"email": OPTED_OUT})


def record_opt_out(store: Store, optout: OptOut, now: float) -> OptOutResult:
    """Append the opt-out's event and opt the contact out of e-mail (both idempotent)."""
    data: dict[str, Any] = {
        "source": optout.source,
        "message_id": optout.message_id,
        "evidence": optout.evidence[:EVIDENCE_CHARS],
    }
    key = f"{optout.event_type}:{optout.contact_id}:{optout.message_id}"
    event = NewEvent(optout.event_type, optout.contact_id, data, key, now)
    (event_id,) = store.append_events([event], now)
    patch = opt_out_patch(store, optout.contact_id, optout.source, optout.evidence, now, event_id)
    if patch is not None:
        store.apply_contact_patches([patch], now)
    return OptOutResult(event_id, patch is not None)
