"""SendGrid's Event Webhook: checking a post's signature and turning its events into ours.

Signature: SendGrid signs ``timestamp + raw body`` with ECDSA P-256 / SHA-256 and sends the
base64 DER signature in ``X-Twilio-Email-Event-Webhook-Signature`` and the timestamp (Unix
seconds) in ``X-Twilio-Email-Event-Webhook-Timestamp``. A post whose timestamp is more than
:data:`TOLERANCE_S` away from our clock is refused as stale, so a captured post cannot be replayed
later; within that time a replay only repeats events already recorded (deduped by
``sg_event_id``).

Events (SendGrid name -> ours): delivered -> ``email.delivered``; bounce, dropped ->
``email.failed`` (with the reason); open -> ``email.opened``, except machine opens
(``sg_machine_open``: a mail client fetching images by itself, such as Apple Mail Privacy
Protection), which become ``email.machine_opened``, kept as history and never counted as
engagement; click -> ``email.clicked`` (with the url); spamreport -> ``email.spam_reported``;
unsubscribe, group_unsubscribe -> ``email.unsubscribed``. Others (processed, deferred,
group_resubscribe) are not recorded. Each event's message is found by our id in
``custom_args`` (``leadflow_message_id``; it must agree with ``sg_message_id`` when both are
known), else by ``sg_message_id`` (the ``X-Message-Id`` of the send, then ``.filter...``);
events of messages we do not know are skipped. The event belongs to the message's contact, so
to the tenant owning that message and no other.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from leadflow.channels.sendgrid import MESSAGE_ID_ARG
from leadflow.model.records import Message, NewEvent
from leadflow.safe_input import row_id
from leadflow.store.contract import Store

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
TOLERANCE_S = 600.0
MACHINE_OPENED = "email.machine_opened"
_SIMPLE = {
    "delivered": "email.delivered",
    "bounce": "email.failed",
    "dropped": "email.failed",
    "click": "email.clicked",
    "spamreport": "email.spam_reported",
    "unsubscribe": "email.unsubscribed",
    "group_unsubscribe": "email.unsubscribed",
}


class BadSignature(Exception):
    """The post is not signed by the configured key, or not recently."""


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """SendGrid's verification key from its base64 DER form (as SendGrid shows it) or PEM;
    ValueError when it is neither, or not a P-256 key."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = load_pem_public_key(text.encode())
        else:
            key = load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise ValueError(f"not an ECDSA public key (base64 DER or PEM): {exc}") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValueError("the SendGrid webhook key must be an ECDSA P-256 public key")
    return key


def verify(
    key: ec.EllipticCurvePublicKey,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: float,
    tolerance_s: float = TOLERANCE_S,
) -> None:
    """Raise :class:`BadSignature` (saying why, without quoting anything sent) unless
    ``signature`` is the key's signature of ``timestamp + body`` and ``timestamp`` is within
    ``tolerance_s`` of ``now``."""
    if not signature or not timestamp:
        raise BadSignature("signature or timestamp header missing")
    try:
        sent_at = float(timestamp)
    except ValueError:
        raise BadSignature("timestamp is not a number") from None
    if abs(now - sent_at) > tolerance_s:
        raise BadSignature(f"timestamp is {now - sent_at:+.0f} s off the clock (stale)")
    try:
        der = base64.b64decode(signature, validate=True)
        key.verify(der, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, binascii.Error, ValueError):
        raise BadSignature("signature does not match the body") from None


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """The events of a post (a JSON array of objects); ValueError when it is not one."""
    try:
        found = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body must be a JSON array of events") from None
    if not isinstance(found, list) or not all(isinstance(e, dict) for e in found):
        raise ValueError("the body must be a JSON array of events")
    return found


@dataclass(slots=True)
class Mapped:
    events: list[NewEvent]
    unknown_message: int = 0  # events of messages we never sent (or no longer have)
    not_recorded: int = 0  # event kinds we do not record (processed, deferred, ...)


def _our_id(event: dict[str, Any]) -> int | None:
    args = event.get("custom_args")
    raw = args.get(MESSAGE_ID_ARG) if isinstance(args, dict) else None
    raw = raw if raw is not None else event.get(MESSAGE_ID_ARG)  # SendGrid may flatten them
    return row_id(raw)  # a 40-digit id is no message of ours, not a store error


def find_message(store: Store, event: dict[str, Any]) -> Message | None:
    """The e-mail the event is about. When the event names both our id and SendGrid's, they
    must name the same message: an id copied into another send's ``custom_args`` (by a
    template, say) reaches nothing, so an event never lands on another tenant's message."""
    sg_id = event.get("sg_message_id")
    provider_id = sg_id.split(".", 1)[0] if isinstance(sg_id, str) and sg_id else None
    our_id = _our_id(event)
    if our_id is not None:
        found = store.get_message(our_id)
        if found is not None and found.channel == "email":
            if provider_id is None or found.provider_id in (None, provider_id):
                return found
            return None
    if provider_id:
        found = store.find_message_by_provider(provider_id)
        return found if found is not None and found.channel == "email" else None
    return None


def _kind(event: dict[str, Any]) -> str | None:
    name = event.get("event")
    if name == "open":
        return MACHINE_OPENED if event.get("sg_machine_open") is True else "email.opened"
    return _SIMPLE.get(name) if isinstance(name, str) else None


def _occurred(event: dict[str, Any], now: float) -> float:
    ts = event.get("timestamp")
    if isinstance(ts, int | float) and not isinstance(ts, bool) and 0 < ts <= now:
        return float(ts)
    return now


def _data(event: dict[str, Any], message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message_id": message.id,
        "provider": "sendgrid",
        "sg_event_id": event.get("sg_event_id"),
        "sg_message_id": event.get("sg_message_id"),
    }
    name = event.get("event")
    if name == "click":
        data["url"] = event.get("url")
    elif name in ("bounce", "dropped"):
        reason = str(event.get("reason") or "no reason given")[:300]
        kind = event.get("type") or name
        data["error"] = f"{name} ({kind}): {reason}"
        data["bounce_type"] = event.get("type")
    elif name in ("unsubscribe", "group_unsubscribe", "spamreport"):
        data["source"] = f"sendgrid_{name}"
        data["evidence"] = f"SendGrid {name} event {event.get('sg_event_id')}"
        if event.get("asm_group_id") is not None:
            data["asm_group_id"] = event.get("asm_group_id")
    return data


def to_events(store: Store, events: list[dict[str, Any]], now: float) -> Mapped:
    """Our events for SendGrid's, deduped by ``sendgrid:{sg_event_id}``."""
    out = Mapped([])
    for event in events:
        kind = _kind(event)
        sg_event_id = event.get("sg_event_id")
        if kind is None or not isinstance(sg_event_id, str) or not sg_event_id:
            out.not_recorded += 1
            continue
        message = find_message(store, event)
        if message is None or message.id is None:
            out.unknown_message += 1
            continue
        out.events.append(
            NewEvent(
                kind,
                message.contact_id,
                _data(event, message),
                f"sendgrid:{sg_event_id}",
                _occurred(event, now),
                processed=kind == MACHINE_OPENED,
            )
        )
    return out
