"""Opt-outs and opt-ins read from inbound texts (:mod:`leadflow.channels.keywords`), applied to
the contact's consent when the event is processed, before anything else of its batch.

An opt-out revokes texts and calls alike (FCC 24-24: a revocation covers both); an opt-in by
text (START, UNSTOP, YES) restores texts only -- calls need consent of their own. Each change is
kept in the contact's ``fields.consent_history`` with its source, time and evidence (the words
of the text). The dispatcher checks consent again when a message is about to leave, so nothing
queued before the opt-out goes out after it. Applying a change twice (an event processed again
after a crash) changes nothing: the state is already set, and the history entry names its
event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadflow.channels.keywords import Intent, classify
from leadflow.store.records import Contact, ContactPatch, Event

KEYWORD_EVENTS = frozenset({"sms.received"})
SOURCE = "sms_keyword"
HISTORY = "consent_history"
EVIDENCE_CHARS = 160
CHANGES = {
    Intent.OPT_OUT: {"sms": "opted_out", "voice": "opted_out"},
    Intent.OPT_IN: {"sms": "opted_in"},
}


def intent_of(event: Event) -> Intent:
    data = event.data
    said = data.get("OptOutType") or data.get("opt_out_type")
    body = data.get("body") if isinstance(data.get("body"), str) else data.get("Body")
    return classify(
        body if isinstance(body, str) else None, said if isinstance(said, str) else None
    )


def consent_patches(events: Sequence[Event], contacts: Mapping[str, Contact]) -> list[ContactPatch]:
    """The consent changes the inbound texts among ``events`` ask for, one patch per contact
    (events in order: STOP then START ends opted in)."""
    state: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {}
    changed: set[str] = set()
    for event in events:
        if event.type not in KEYWORD_EVENTS or not event.contact_id:
            continue
        contact = contacts.get(event.contact_id)
        wanted = CHANGES.get(intent_of(event))
        if contact is None or wanted is None:
            continue
        consent, history = state.setdefault(
            contact.id, (dict(contact.consent), list(contact.fields.get(HISTORY) or []))
        )
        if any(isinstance(h, dict) and h.get("event_id") == event.id for h in history):
            continue
        body = event.data.get("body") or event.data.get("Body") or ""
        for channel, value in wanted.items():
            if consent.get(channel) == value:
                continue
            consent[channel] = value
            history.append(
                {
                    "channel": channel,
                    "state": value,
                    "source": SOURCE,
                    "at": event.occurred_at,
                    "evidence": str(body)[:EVIDENCE_CHARS],
                    "event_id": event.id,
                }
            )
            changed.add(contact.id)
    return [
        ContactPatch(cid, set={HISTORY: state[cid][1]}, consent=state[cid][0])
        for cid in sorted(changed)
    ]
