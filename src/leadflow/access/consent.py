"""A contact's consent through the API: the state per channel with its full history, and
consent recorded by a person or a form (a web form's checkbox, an agent on the phone, an import).

Each recorded change joins ``fields.consent_history`` like the changes the engine applies from
texts and provider events (:mod:`leadflow.compliance.consent`), with ``by`` naming who recorded it
(the API key's agent, else the key). Opting a contact back in over an opt-out needs evidence
(the words the lead agreed to): without it the change is refused. Scope rules are those of
every contact write: a contact outside the caller's scope is not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.access.scope import visible_contact
from leadflow.compliance.consent import HISTORY, OPTED_IN, OPTED_OUT, history_entry, history_of
from leadflow.errors import InvalidInput
from leadflow.model.records import Contact, ContactPatch, Scope
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

CHANNELS = ("sms", "email", "voice", "whatsapp")
STATES = (OPTED_IN, OPTED_OUT)
UNKNOWN = "unknown"
CLOCK_SKEW_S = 300.0  # an ``at`` this far ahead of the server's clock is still accepted


@dataclass(slots=True, frozen=True)
class ConsentChange:
    """What a caller asks to record."""

    channel: str
    state: str
    source: str
    evidence: str | None = None
    at: float | None = None


@dataclass(slots=True, frozen=True)
class ConsentRecord:
    """A contact's consent: the state of every channel (``unknown`` when never given) and each
    change in the order it was recorded."""

    contact_id: str
    state: dict[str, str]
    history: list[dict[str, Any]]


def show(store: Store, scope: Scope, contact_id: str) -> ConsentRecord:
    return _record_of(visible_contact(store, scope, contact_id))


def record(
    store: Store,
    principal: Principal,
    scope: Scope,
    contact_id: str,
    change: ConsentChange,
    now: float,
) -> ConsentRecord:
    """Record ``change`` (checked first: every refusal names the field)."""
    contact = visible_contact(store, scope, contact_id)
    _check(change, contact, now)
    evidence = (change.evidence or "").strip()
    entry = history_entry(
        change.channel,
        change.state,
        change.source.strip(),
        now if change.at is None else change.at,
        evidence,
        by=principal.member_key or f"key:{principal.key_id}",
    )
    patch = ContactPatch(
        contact.id,
        set={HISTORY: [*history_of(contact), entry]},
        consent={change.channel: change.state},
    )
    store.apply_contact_patches([patch], now)
    return show(store, scope, contact_id)


def _check(change: ConsentChange, contact: Contact, now: float) -> None:
    if change.channel not in CHANNELS:
        raise InvalidInput(f"channel: {change.channel!r} is not one of {', '.join(CHANNELS)}")
    if change.state not in STATES:
        raise InvalidInput(f"state: {change.state!r} is not one of {', '.join(STATES)}")
    if not change.source.strip():
        raise InvalidInput("source: must say where the consent came from (e.g. web_form)")
    if change.at is not None and change.at > now + CLOCK_SKEW_S:
        raise InvalidInput("at: lies in the future")
    was = contact.consent.get(change.channel)
    if change.state == OPTED_IN and was == OPTED_OUT and not (change.evidence or "").strip():
        raise InvalidInput(
            f"evidence: required to opt {change.channel} back in after an opt-out "
            "(the words the lead agreed to, e.g. the form's checkbox text)"
        )


def _record_of(contact: Contact) -> ConsentRecord:
    state = {channel: contact.consent.get(channel) or UNKNOWN for channel in CHANNELS}
    return ConsentRecord(contact.id, state, history_of(contact))


def apply_changes(
    contact: Contact,
    before: dict[str, str],
    source: str,
    at: float,
    by: str,
    *,
    undo_allowed: bool = False,
) -> None:
    """Keep a contact's consent history in step with a change of ``contact.consent`` made by a
    contact write (create, ``PATCH``, a merge of duplicates): one history entry per channel whose
    state changed, naming ``source`` and ``by``. An opt-out is only undone with evidence, through
    ``POST /contacts/{id}/consent``: a plain write that tries is refused (naming the field),
    unless ``undo_allowed`` (a merge keeps opt-outs itself)."""
    changed = {
        channel: state
        for channel, state in contact.consent.items()
        if state != before.get(channel) and state in STATES
    }
    for channel, state in changed.items():
        if state == OPTED_IN and before.get(channel) == OPTED_OUT and not undo_allowed:
            raise InvalidInput(
                f"consent.{channel}: the lead opted out; opting back in needs evidence, "
                f"recorded with POST /api/v1/contacts/{contact.id}/consent"
            )
    for channel in sorted(before.keys() - contact.consent.keys()):
        if before[channel] == OPTED_OUT and not undo_allowed:
            raise InvalidInput(f"consent.{channel}: an opt-out cannot be removed")
    if not changed:
        return
    entries = [history_entry(c, state, source, at, "", by=by) for c, state in changed.items()]
    contact.fields[HISTORY] = [*history_of(contact), *entries]
