"""An inbound e-mail (a lead's reply) as events: parsed from MIME or from SendGrid Inbound
Parse's fields, matched to the message it answers and to the contact, recorded.

* **Parsing** (:func:`from_mime`, :func:`from_parse_fields`): the sender, the recipients (``To``,
  ``Cc`` and the envelope's), the subject, the text body (the HTML's text when there is no text
  part), ``Message-ID``, ``In-Reply-To``, ``References``, and whether it is an automatic answer
  (:mod:`leadflow.channels.email_auto`). A message without a usable ``From`` is
  :class:`MalformedEmail` naming the field.
* **Matching** (:func:`match`): first the ids the reply names (``In-Reply-To``, then
  ``References`` newest first) against our own ``Message-ID`` (:mod:`leadflow.channels.email_ids`,
  the tag checked) or a message's provider id; the message found gives the contact and so the
  tenant. When the channel belongs to one tenant (an IMAP mailbox, a per-tenant setting) a
  message of another tenant is not a match. Else the sender's address among the contacts of the
  tenant: the channel's, or the one owning a recipient address as a sender
  (:func:`leadflow.channels.senders.owner`). Nobody's: nothing is recorded.
* **Recording** (:func:`record_inbound`): ``email.received`` for each contact matched (one event
  without a contact, for the audit trail, when the tenant is known but no contact has the
  address), ``email.auto_replied`` instead for an automatic answer, which is no reply (no pause,
  no replied time, no score). The text kept is the lead's own words
  (:func:`leadflow.channels.email_reply.reply_text`). The dedupe key is the tenant and the
  e-mail's ``Message-ID`` (else a digest of its headers and body), so the same e-mail posted
  twice, or seen again by IMAP, is recorded once. A reply whose words ask to stop (the opt-out
  words and phrases of :mod:`leadflow.compliance.keywords`) opts the contact out of e-mail at
  once, as the unsubscribe link does (:mod:`leadflow.channels.email_optout`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import Any

from leadflow.addresses import split_mailbox
from leadflow.channels import senders
from leadflow.channels.email_auto import auto_reply_reason
from leadflow.channels.email_ids import parse_ours, referenced_ids
from leadflow.channels.email_optout import OptOut, record_opt_out
from leadflow.channels.email_render import html_to_text
from leadflow.channels.email_reply import reply_text
from leadflow.compliance.keywords import Intent, classify
from leadflow.model.records import Contact, ContactFilter, Message, NewEvent, Scope
from leadflow.model.senders import EMAIL
from leadflow.settings import Settings
from leadflow.store.contract import Store

log = logging.getLogger(__name__)

RECEIVED = "email.received"
AUTO_REPLIED = "email.auto_replied"
MAX_CONTACTS = 100  # contacts of one tenant one address may reach (one in practice)
MAX_TEXT = 20_000  # characters of the reply's own words kept in the event
MAX_SUBJECT = 500


class MalformedEmail(ValueError):
    """An inbound e-mail that cannot be read; the message names the field."""


@dataclass(slots=True, frozen=True)
class InboundEmail:
    sender: str  # the From mailbox, lower-cased
    recipients: tuple[str, ...]  # To, Cc and the envelope's, lower-cased, each once
    subject: str
    body: str  # the whole text (quotes and signature still in)
    message_id: str | None
    in_reply_to: str | None
    references: str | None
    auto_reply: str | None  # why it is an automatic answer; None: a person's reply
    source: str  # sendgrid | imap

    def digest(self) -> str:
        parts = (self.sender, self.subject, self.body, self.in_reply_to or "")
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------- parsing
def _mailboxes(*values: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for _, address in getaddresses([v for v in values if v]):
        address = address.strip().lower()
        if "@" in address and address not in out:
            out.append(address)
    return tuple(out)


def _sender(value: str | None) -> str:
    if not value or not value.strip():
        raise MalformedEmail("from: missing (the e-mail names no sender)")
    try:
        return split_mailbox(value.strip())[1].lower()
    except ValueError as exc:
        raise MalformedEmail(f"from: {exc}") from None


def _clean(value: str | None) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError) as exc:  # an unknown charset, a bad encoding
        raise MalformedEmail(f"body: cannot be decoded ({type(exc).__name__})") from None
    text = content if isinstance(content, str) else ""
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def from_mime(raw: bytes, source: str, envelope_to: tuple[str, ...] = ()) -> InboundEmail:
    """An e-mail from its full RFC 5322 text (IMAP, or Inbound Parse's "raw" ``email`` field)."""
    if not raw.strip():
        raise MalformedEmail("email: empty message")
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    try:
        sender = _sender(msg.get("From"))
        subject = str(msg.get("Subject") or "")
        recipients = _mailboxes(str(msg.get("To") or ""), str(msg.get("Cc") or ""))
        message_id = _clean(msg.get("Message-ID"))
        in_reply_to = _clean(msg.get("In-Reply-To"))
        references = _clean(msg.get("References"))
    except (ValueError, IndexError, TypeError) as exc:  # a header the parser cannot read
        if isinstance(exc, MalformedEmail):
            raise
        raise MalformedEmail(f"headers: cannot be read ({exc})") from None

    def header(name: str) -> str | None:
        value = msg.get(name)
        return str(value) if value is not None else None

    return InboundEmail(
        sender=sender,
        recipients=tuple(dict.fromkeys((*recipients, *envelope_to))),
        subject=subject[:MAX_SUBJECT],
        body=_text_of(msg),
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        auto_reply=auto_reply_reason(header, subject),
        source=source,
    )


def envelope_recipients(fields: Mapping[str, str]) -> tuple[str, ...]:
    raw = fields.get("envelope")
    if not raw:
        return ()
    try:
        envelope = json.loads(raw)
    except ValueError:
        raise MalformedEmail("envelope: not JSON") from None
    to = envelope.get("to") if isinstance(envelope, dict) else None
    if not isinstance(to, list) or not all(isinstance(x, str) for x in to):
        raise MalformedEmail("envelope: 'to' must be a list of addresses")
    return _mailboxes(*to)


def from_parse_fields(fields: Mapping[str, str]) -> InboundEmail:
    """An e-mail from SendGrid Inbound Parse's parsed fields (already decoded with their
    ``charsets``): ``headers``, ``from``, ``to``, ``cc``, ``subject``, ``text``, ``html`` and
    ``envelope``."""
    envelope_to = envelope_recipients(fields)
    head = HeaderParser(policy=policy.default).parsestr(fields.get("headers") or "")

    def header(name: str) -> str | None:
        value = head.get(name)
        return str(value) if value is not None else None

    subject = fields.get("subject") or header("Subject") or ""
    text = fields.get("text") or ""
    if not text.strip() and fields.get("html"):
        text = html_to_text(fields["html"])
    recipients = _mailboxes(fields.get("to") or header("To"), fields.get("cc") or header("Cc"))
    return InboundEmail(
        sender=_sender(fields.get("from") or header("From")),
        recipients=tuple(dict.fromkeys((*recipients, *envelope_to))),
        subject=subject[:MAX_SUBJECT],
        body=text,
        message_id=_clean(header("Message-ID")),
        in_reply_to=_clean(header("In-Reply-To")),
        references=_clean(header("References")),
        auto_reply=auto_reply_reason(header, subject),
        source="sendgrid",
    )


# ---------------------------------------------------------------------------- matching
@dataclass(slots=True)
class Match:
    tenant_id: str | None  # None: nobody's (nothing is recorded)
    contacts: list[Contact] = field(default_factory=list)
    message: Message | None = None  # the message replied to
    by: str = "none"  # in_reply_to | references | from | none


def _message_named(store: Store, ref: str) -> Message | None:
    ours = parse_ours(ref)
    if ours is not None:
        found = store.get_message(ours.message_id)
        if found is not None and ours.matches(found.idempotency_key):
            return found
        return None
    return store.find_message_by_provider(ref)


def match(store: Store, settings: Settings, mail: InboundEmail, tenant_id: str | None) -> Match:
    """The tenant, contacts and message ``mail`` belongs to. ``tenant_id``: the tenant the
    channel belongs to (None: the installation's, any tenant)."""
    refs = referenced_ids(mail.in_reply_to, mail.references)
    for i, ref in enumerate(refs):
        found = _message_named(store, ref)
        if found is None or found.channel != "email" or not found.contact_id:
            continue
        contact = store.get_contact(found.contact_id)
        if contact is None:
            continue
        if tenant_id is not None and contact.tenant_id != tenant_id:
            log.warning("inbound e-mail names a message of another tenant; not matched by it")
            continue
        in_reply = mail.in_reply_to is not None and i == 0 and ref in mail.in_reply_to
        return Match(
            contact.tenant_id, [contact], found, "in_reply_to" if in_reply else "references"
        )
    tenant = tenant_id
    if tenant is None:
        for address in mail.recipients:
            tenant = senders.owner(store, settings, EMAIL, address)
            if tenant is not None:
                break
    if tenant is None:
        return Match(None)
    flt = ContactFilter(scope=Scope(tenant), email=mail.sender, limit=MAX_CONTACTS)
    contacts = store.find_contacts(flt)
    return Match(tenant, contacts, None, "from" if contacts else "none")


# ---------------------------------------------------------------------------- recording
@dataclass(slots=True, frozen=True)
class Recorded:
    tenant_id: str | None
    events: int  # recorded now
    duplicates: int  # recorded before (the same e-mail again)
    contacts: tuple[str, ...]
    matched_by: str
    auto_reply: bool
    opted_out: tuple[str, ...] = ()  # contacts opted out of e-mail by this reply


def event_data(mail: InboundEmail, m: Match, text: str) -> dict[str, Any]:
    return {
        "text": text,
        "body": text,
        "subject": mail.subject,
        "from": mail.sender,
        "to": list(mail.recipients[:20]),
        "message_id": m.message.id if m.message is not None else None,
        "email_message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to,
        "auto_reply": mail.auto_reply is not None,
        "auto_reply_reason": mail.auto_reply,
        "matched_by": m.by,
        "source": mail.source,
        "tenant_id": m.tenant_id,
    }


def record_inbound(
    store: Store, settings: Settings, mail: InboundEmail, tenant_id: str | None, now: float
) -> Recorded:
    """Match ``mail`` and record it (see the module's text); idempotent."""
    m = match(store, settings, mail, tenant_id)
    auto = mail.auto_reply is not None
    if m.tenant_id is None:
        log.info("inbound e-mail to no tenant's address dropped")
        return Recorded(None, 0, 0, (), m.by, auto)
    text = reply_text(mail.body)[:MAX_TEXT]
    kind = AUTO_REPLIED if auto else RECEIVED
    data = event_data(mail, m, text)
    key = f"email:in:{m.tenant_id}:{mail.message_id or mail.digest()}"
    if not m.contacts:
        events = [NewEvent(kind, None, data, key, now)]
    elif len(m.contacts) == 1:
        events = [NewEvent(kind, m.contacts[0].id, data, key, now)]
    else:
        events = [NewEvent(kind, c.id, data, f"{key}:{c.id}", now) for c in m.contacts]
    ids = store.append_events(events, now)
    opted: list[str] = []
    if not auto and m.contacts and classify(text) is Intent.OPT_OUT:
        message_id = m.message.id if m.message is not None else None
        for contact in m.contacts:
            optout = OptOut(contact.id, "email_reply", text, message_id)
            if record_opt_out(store, optout, now).changed:
                opted.append(contact.id)
    recorded = sum(1 for i in ids if i is not None)
    return Recorded(
        m.tenant_id,
        recorded,
        len(ids) - recorded,
        tuple(c.id for c in m.contacts),
        m.by,
        auto,
        tuple(opted),
    )


__all__ = [
    "AUTO_REPLIED",
    "RECEIVED",
    "InboundEmail",
    "MalformedEmail",
    "Match",
    "Recorded",
    "envelope_recipients",
    "from_mime",
    "from_parse_fields",
    "match",
    "record_inbound",
]
