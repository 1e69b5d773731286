"""Compliance answers to inbound texts: the opt-out confirmation, the HELP answer and the
confirmation of a new opt-in (START).

What they say follows CTIA's handbook: an opt-out confirmation names the brand, says nothing more
will be sent and how to resubscribe, and carries no marketing; the HELP answer and the opt-in
confirmation name the brand (program), a help contact, the message frequency, "Msg & data rates
may apply" and "Reply STOP to opt out".

When they are sent (:func:`answers_for`):

* an opt-out gets at most one confirmation: none when the provider already answered (Twilio's
  Advanced Opt-Out sets ``OptOutType``), one per opt-out event (its idempotency key names the
  event), and none when the lead was already opted out and a confirmation went out in the last
  24 hours;
* HELP is answered each time it is asked (unless the provider answered);
* an opt-in is confirmed only when it changed the contact's texts consent and was either a
  carrier opt-in word other than "yes" (START, UNSTOP) or came after an opt-out: a "yes" from a
  lead who never opted out is an ordinary answer, not a subscription.

The answers belong to no run; they are marked ``payload["compliance"]`` so the dispatch policy
lets them through as the lead's own request (:mod:`leadflow.compliance.policy`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from leadflow.compliance.consent import (
    OPTED_IN,
    OPTED_OUT,
    body_of,
    changed_by,
    history_of,
    intent_of,
    provider_said,
)
from leadflow.compliance.keywords import Intent, normalize
from leadflow.engine.runless import message_now
from leadflow.model.records import Contact, Event, Message

OPT_OUT_CONFIRMATION = "opt_out_confirmation"
HELP = "help"
OPT_IN_CONFIRMATION = "opt_in_confirmation"
KINDS = (OPT_OUT_CONFIRMATION, HELP, OPT_IN_CONFIRMATION)
CONFIRMATION_GAP_S = 86400.0  # a lead still opted out is not confirmed twice within this time
RATES = "Msg & data rates may apply."


@dataclass(slots=True, frozen=True)
class ReplyTexts:
    """The words of the compliance answers (settings ``sms_brand``, ``sms_help_contact``,
    ``sms_frequency``)."""

    brand: str = "Leadflow"
    help_contact: str = "reply to this number"
    frequency: str = "Msg frequency varies"

    def text(self, kind: str) -> str:
        if kind == OPT_OUT_CONFIRMATION:
            return (
                f"You're unsubscribed from {self.brand} texts. No more messages will be sent. "
                "Reply START to resubscribe."
            )
        if kind == HELP:
            return (
                f"{self.brand}: for help, {self.help_contact}. {self.frequency}. {RATES} "
                "Reply STOP to opt out."
            )
        if kind == OPT_IN_CONFIRMATION:
            return (
                f"{self.brand}: you're subscribed to texts again. {self.frequency}. {RATES} "
                "Reply HELP for help, STOP to opt out."
            )
        raise ValueError(f"unknown compliance answer {kind!r}")


_KIND_OF = {
    Intent.OPT_OUT: OPT_OUT_CONFIRMATION,
    Intent.HELP: HELP,
    Intent.OPT_IN: OPT_IN_CONFIRMATION,
}

# Whether a confirmation of an opt-out was queued for the contact since the moment given.
ConfirmedSince = Callable[[str, float], bool]


def answer_key(kind: str, event_id: int) -> str:
    return f"compliance:{kind}:{event_id}"


def answers_for(
    events: Sequence[Event],
    contacts: Mapping[str, Contact],
    texts: ReplyTexts,
    confirmed_since: ConfirmedSince,
    now: float,
    before: Mapping[str, Contact] | None = None,
) -> list[Message]:
    """The answers the inbound texts among ``events`` are owed. ``contacts`` hold the consent
    *after* the events' changes were applied (:mod:`leadflow.compliance.consent`), ``before`` (when
    known) as it was before them."""
    out: list[Message] = []
    for event in events:
        if event.type != "sms.received" or not event.contact_id:
            continue
        contact = contacts.get(event.contact_id)
        kind = _KIND_OF.get(intent_of(event))
        if contact is None or kind is None or provider_said(event) is not None:
            continue
        earlier = (before or {}).get(contact.id)
        if kind == OPT_IN_CONFIRMATION and not _resubscribed(event, contact, earlier):
            continue
        opt_out_at = None
        if kind == OPT_OUT_CONFIRMATION:
            if contact.consent.get("sms") != OPTED_OUT:
                continue  # opted in again later in the same batch
            fresh = changed_by(contact, event.id, "sms", OPTED_OUT)
            if not fresh and confirmed_since(contact.id, now - CONFIRMATION_GAP_S):
                continue
            opt_out_at = event.occurred_at
        to = _reply_address(event, contact)
        payload: dict[str, object] = {"compliance": kind}
        texted = event.data.get("to") or event.data.get("To")
        if isinstance(texted, str) and texted:
            payload[REPLY_FROM] = texted  # answered from the number the lead texted
        if opt_out_at is not None:
            payload["opt_out_at"] = opt_out_at
        key = answer_key(kind, event.id)
        out.append(
            message_now(contact.id, "sms", to, key, now, body=texts.text(kind), payload=payload)
        )
    return out


def _resubscribed(event: Event, contact: Contact, earlier: Contact | None) -> bool:
    """Whether ``event`` opted the contact in to texts by a START word, or after an opt-out
    (the history's previous texts entry, else the consent before the batch)."""
    if not changed_by(contact, event.id, "sms", OPTED_IN):
        return False
    if normalize(body_of(event)) in ("start", "unstop"):
        return True
    was = earlier.consent.get("sms") if earlier is not None else None
    for entry in history_of(contact):
        if entry.get("event_id") == event.id:
            break
        if entry.get("channel") == "sms":
            was = entry.get("state")
    return was == OPTED_OUT


# In a compliance answer's payload: the number the lead texted, which the answer leaves from
# when it is one of the tenant's own numbers (channels.senders.TenantSenders.sms).
REPLY_FROM = "reply_from"


def _reply_address(event: Event, contact: Contact) -> str | None:
    """The number that texted (the contact's phone when the event does not say)."""
    sender = event.data.get("from") or event.data.get("From")
    return sender if isinstance(sender, str) and sender else contact.phone
