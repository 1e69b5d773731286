"""What Twilio's webhooks tell leadflow, as events.

* An inbound text belongs to the tenant owning the number it was sent to (``To``, else the
  Messaging Service; :func:`leadflow.channels.senders.inbound_tenant`); a text to a number
  nobody owns is dropped by the route. It becomes ``sms.received`` for each contact *of that
  tenant* with the sender's number, or one event without a contact, kept for audit, when none
  has it. Other tenants' contacts with the same number get nothing: neither the words, nor a
  reply, nor a consent change. The event processor reads opt-outs from it and pauses runs
  that stop on reply.
* An inbound WhatsApp message comes the same way, its ``From`` and ``To`` prefixed
  ``whatsapp:``; it becomes ``whatsapp.received`` (a reply, like a text; the lead's 24-hour
  WhatsApp window counts from it).
* A message status callback becomes ``sms.delivered`` or ``sms.failed`` (``whatsapp.delivered``
  / ``whatsapp.failed`` for a WhatsApp message) for the message with that MessageSid;
  intermediate statuses (queued, sending, sent...) and ``read`` add nothing.
  Error 21610 (the number opted out at Twilio) also becomes ``sms.opted_out``.
* A call status callback becomes ``voice.delivered`` / ``voice.failed``; an answered call
  ``voice.answered``.

Callbacks name a message only by the SID Twilio gave it; the events go to that message's
contact, so to the tenant that sent it and no other. Every event has a dedupe key made of
Twilio's ids, so a callback received twice is recorded once; the store's one-way status order
keeps a late callback from moving a message backwards.
"""

from __future__ import annotations

import logging
from typing import Any

from leadflow.addresses import phone_query, strip_whatsapp
from leadflow.channels import twilio_status as ts
from leadflow.channels.twilio_signature import FormParams
from leadflow.model.records import ContactFilter, Message, NewEvent, Scope
from leadflow.safe_input import row_id
from leadflow.store.contract import Store

log = logging.getLogger(__name__)

SOURCE = "twilio"
MAX_CONTACTS = 100  # contacts of one tenant one inbound number may reach (one in practice)


def media_urls(params: FormParams) -> list[str]:
    try:
        count = int(params.get("NumMedia") or 0)
    except ValueError:
        count = 0
    found = [params.get(f"MediaUrl{i}") for i in range(max(0, min(count, 10)))]
    return [url for url in found if url]


def inbound_sms_events(
    store: Store, params: FormParams, now: float, tenant_id: str
) -> list[NewEvent]:
    """``sms.received`` events for an inbound text to a number of ``tenant_id`` (one per contact
    of that tenant with the sender's number); ``whatsapp.received`` for a WhatsApp message."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    found, whatsapp = strip_whatsapp(params.get("From"))
    sender = found or ""
    channel = "whatsapp" if whatsapp else "sms"
    data: dict[str, Any] = {
        "body": params.get("Body") or "",
        "from": sender,
        "to": strip_whatsapp(params.get("To"))[0] or "",
        "message_sid": sid,
        "opt_out_type": params.get("OptOutType") or None,
        "media_urls": media_urls(params),
        "from_state": params.get("FromState") or None,
        "source": SOURCE,
        "tenant_id": tenant_id,
    }
    if whatsapp:
        data["channel"] = channel
        data["profile_name"] = params.get("ProfileName") or None
    number = phone_query(sender)
    scope = Scope(tenant_id)
    contacts = (
        store.find_contacts(ContactFilter(scope=scope, phone=number, limit=MAX_CONTACTS))
        if number
        else []
    )
    key, kind = f"twilio:{channel}:{sid}", f"{channel}.received"
    if not contacts:
        return [NewEvent(kind, None, data, key, now)]
    if len(contacts) == 1:
        return [NewEvent(kind, contacts[0].id, data, key, now)]
    return [NewEvent(kind, c.id, data, f"{key}:{c.id}", now) for c in contacts]


def _message_event(
    kind: str, message: Message, sid: str, status: str, extra: dict[str, Any], now: float
) -> NewEvent:
    data: dict[str, Any] = {
        "message_id": message.id,
        "provider_id": sid,
        "provider_status": status,
        "channel": message.channel,
        "source": SOURCE,
        **extra,
    }
    return NewEvent(kind, message.contact_id, data, f"twilio:status:{sid}:{status}", now)


MESSAGE_CHANNELS = ("sms", "whatsapp")  # what a message status callback reports on


def _reported(
    store: Store, sid: str, status: str, outcome: str | None, channel: str
) -> Message | None:
    """The message of ``channel`` (``sms``: a text or a WhatsApp message) a status callback
    reports on; None (nothing to record) without a sid, while the message is not done (no
    ``outcome``) or for an unknown sid."""
    if not sid or outcome is None:
        return None
    message = store.find_message_by_provider(sid)
    allowed = MESSAGE_CHANNELS if channel == "sms" else (channel,)
    if message is None or message.channel not in allowed:
        label, noun = ("status", "message") if channel == "sms" else ("call status", "call")
        log.info("twilio %s %s for unknown %s %s ignored", label, status, noun, sid)
        return None
    return message


def status_events(store: Store, params: FormParams, now: float) -> list[NewEvent]:
    """Events for a message status callback (none for an unknown MessageSid)."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    outcome = ts.sms_outcome(status)
    message = _reported(store, sid, status, outcome, "sms")
    if message is None:
        return []
    if outcome == "delivered":
        return [_message_event(f"{message.channel}.delivered", message, sid, status, {}, now)]
    code = ts.error_code(params.get("ErrorCode"))
    error = ts.describe_error(code, f"twilio reported {status}")
    extra = {"error": error, "error_code": code}
    events = [_message_event(f"{message.channel}.failed", message, sid, status, extra, now)]
    if code == ts.OPTED_OUT and message.contact_id and message.channel == "sms":
        data = {
            "source": "twilio_21610",
            "evidence": "error 21610",
            "message_id": message.id,
            "provider_id": sid,
        }
        events.append(
            NewEvent("sms.opted_out", message.contact_id, data, f"twilio:optout:{sid}", now)
        )
    return events


def voice_status_events(store: Store, params: FormParams, now: float) -> list[NewEvent]:
    """Events for a call status callback (none while the call goes on, or for an unknown
    CallSid)."""
    sid = params.get("CallSid") or ""
    status = (params.get("CallStatus") or "").strip().lower()
    outcome = ts.call_outcome(status)
    message = _reported(store, sid, status, outcome, "voice")
    if message is None:
        return []
    if outcome == "delivered":
        extra: dict[str, Any] = {"duration_s": params.get("CallDuration")}
        return [_message_event("voice.delivered", message, sid, status, extra, now)]
    code = ts.error_code(params.get("ErrorCode"))
    reason = ts.CALL_FAILURES.get(status, status)
    error = f"{reason} ({ts.describe_error(code)})" if code is not None else reason
    return [_message_event("voice.failed", message, sid, status, {"error": error}, now)]


def voice_message(store: Store, ref: str | None) -> Message | None:
    """The message a voice webhook's ``m`` parameter names (its id, or its idempotency key)."""
    if not ref:
        return None
    number = row_id(ref)  # a 5,000-digit ref is no id (nor an int Python will parse)
    if number is not None:
        found = store.get_message(number)
        if found is not None:
            return found
    return store.find_message(ref)


def answered_event(message: Message | None, params: FormParams, now: float) -> NewEvent | None:
    if message is None:
        return None
    sid = params.get("CallSid") or ""
    answered_by = params.get("AnsweredBy") or "unknown"
    data = {
        "answered_by": answered_by,
        "message_id": message.id,
        "provider_id": sid,
        "source": SOURCE,
    }
    return NewEvent(
        "voice.answered", message.contact_id, data, f"twilio:answer:{sid}:{message.id}", now
    )
