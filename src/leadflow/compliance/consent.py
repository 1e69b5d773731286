"""Consent changes applied when events are processed, before anything else of their batch.

Two kinds of events change consent:

* inbound texts (``sms.received``) read by :mod:`leadflow.compliance.keywords`: an opt-out revokes
  texts and calls alike (FCC 24-24: a revocation covers both); an opt-in by text (START, UNSTOP,
  YES) restores texts only -- calls need consent of their own;
* inbound WhatsApp messages (``whatsapp.received``), read the same way, change the ``whatsapp``
  channel only (a STOP on WhatsApp opts out of WhatsApp; START opts back in);
* what a provider reports: ``sms.opted_out`` (a carrier opt-out, e.g. Twilio's error 21610)
  revokes texts and calls; ``email.unsubscribed`` (one-click or a provider's unsubscribe) and
  ``email.spam_reported`` revoke e-mail.

Each change is kept in the contact's ``fields.consent_history`` as ``{channel, state, source,
at, evidence, event_id}`` (changes made through the API carry ``by`` instead of ``event_id``).
The dispatcher checks consent again when a message is about to leave, and the store holds a
contact's outbox back while one of these events is unprocessed, so nothing queued before the
change goes out after it. Applying a change twice (an event processed again after a crash)
changes nothing: the state is already set, and the history entry names its event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadflow.compliance.keywords import Intent, classify
from leadflow.model.records import Contact, ContactPatch, Event

KEYWORD_EVENTS = frozenset({"sms.received", "whatsapp.received"})
SOURCE = "sms_keyword"
WHATSAPP_SOURCE = "whatsapp_keyword"
HISTORY = "consent_history"
EVIDENCE_CHARS = 160
OPTED_IN = "opted_in"
OPTED_OUT = "opted_out"
CHANGES = {
    Intent.OPT_OUT: {"sms": OPTED_OUT, "voice": OPTED_OUT},
    Intent.OPT_IN: {"sms": OPTED_IN},
}
WHATSAPP_CHANGES = {
    Intent.OPT_OUT: {"whatsapp": OPTED_OUT},
    Intent.OPT_IN: {"whatsapp": OPTED_IN},
}
# Consent events a provider reports: what they change, and the source recorded by default.
PROVIDER_CHANGES: dict[str, tuple[dict[str, str], str]] = {
    "sms.opted_out": ({"sms": OPTED_OUT, "voice": OPTED_OUT}, "carrier_opt_out"),
    "email.unsubscribed": ({"email": OPTED_OUT}, "email_unsubscribe"),
    "email.spam_reported": ({"email": OPTED_OUT}, "spam_report"),
}
CONSENT_EVENTS = frozenset(KEYWORD_EVENTS | PROVIDER_CHANGES.keys())


def provider_said(event: Event) -> str | None:
    """The provider's own reading of an inbound text (Twilio's ``OptOutType``), if any."""
    said = event.data.get("OptOutType") or event.data.get("opt_out_type")
    return said if isinstance(said, str) and said.strip() else None


def body_of(event: Event) -> str:
    body = event.data.get("body")
    if not isinstance(body, str):
        body = event.data.get("Body")
    return body if isinstance(body, str) else ""


def intent_of(event: Event) -> Intent:
    return classify(body_of(event) or None, provider_said(event))


def history_of(contact: Contact) -> list[dict[str, Any]]:
    found = contact.fields.get(HISTORY)
    return [h for h in found if isinstance(h, dict)] if isinstance(found, list) else []


def history_entry(
    channel: str,
    state: str,
    source: str,
    at: float,
    evidence: str,
    *,
    event_id: int | None = None,
    by: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "channel": channel,
        "state": state,
        "source": source,
        "at": at,
        "evidence": evidence[:EVIDENCE_CHARS] if event_id is not None else evidence,
    }
    if event_id is not None:
        entry["event_id"] = event_id
    if by is not None:
        entry["by"] = by
    return entry


def _wanted(event: Event) -> tuple[dict[str, str], str, str] | None:
    """The changes ``event`` asks for, its source and evidence, or None."""
    if event.type == "whatsapp.received":
        wanted = WHATSAPP_CHANGES.get(intent_of(event))
        return None if wanted is None else (wanted, WHATSAPP_SOURCE, body_of(event))
    if event.type in KEYWORD_EVENTS:
        wanted = CHANGES.get(intent_of(event))
        return None if wanted is None else (wanted, SOURCE, body_of(event))
    found = PROVIDER_CHANGES.get(event.type)
    if found is None:
        return None
    wanted, default_source = found
    source = event.data.get("source")
    evidence = event.data.get("evidence") or event.data.get("error_code") or event.type
    return (
        wanted,
        source if isinstance(source, str) and source else default_source,
        str(evidence),
    )


def consent_patches(events: Sequence[Event], contacts: Mapping[str, Contact]) -> list[ContactPatch]:
    """The consent changes ``events`` ask for, one patch per contact (events in order: STOP
    then START ends opted in)."""
    state: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {}
    changed: set[str] = set()
    for event in events:
        if event.type not in CONSENT_EVENTS or not event.contact_id:
            continue
        contact = contacts.get(event.contact_id)
        asked = _wanted(event)
        if contact is None or asked is None:
            continue
        wanted, source, evidence = asked
        consent, history = state.setdefault(
            contact.id, (dict(contact.consent), list(history_of(contact)))
        )
        if any(h.get("event_id") == event.id for h in history):
            continue
        for channel, value in wanted.items():
            if consent.get(channel) == value:
                continue
            consent[channel] = value
            history.append(
                history_entry(
                    channel, value, source, event.occurred_at, evidence, event_id=event.id
                )
            )
            changed.add(contact.id)
    return [
        ContactPatch(cid, set={HISTORY: state[cid][1]}, consent=state[cid][0])
        for cid in sorted(changed)
    ]


def changed_by(contact: Contact, event_id: int, channel: str, state: str) -> bool:
    """Whether ``event_id`` changed ``channel`` to ``state`` (its history entry exists)."""
    return any(
        h.get("event_id") == event_id and h.get("channel") == channel and h.get("state") == state
        for h in history_of(contact)
    )
