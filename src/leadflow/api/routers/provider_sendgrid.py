"""``/webhooks/sendgrid/events``: SendGrid's Event Webhook (delivery, opens, clicks, bounces,
spam reports, unsubscribes).

No API key: each post is checked against SendGrid's ECDSA signature
(``LEADFLOW_SENDGRID_WEBHOOK_PUBLIC_KEY``; see :mod:`leadflow.channels.sendgrid_events`). A
post that is unsigned, forged, stale, or arrives while no key is configured gets 403, is logged
at WARNING without its body or signature, and writes nothing. Events are recorded once each
(by ``sg_event_id``), so SendGrid re-posting a batch changes nothing; unsubscribes and spam
reports also opt the contact out of e-mail at once. Not part of the OpenAPI document: SendGrid
is its only caller.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from leadflow.api.deps import get_runtime
from leadflow.channels import sendgrid_events as sg
from leadflow.channels.email_optout import opt_out_patch
from leadflow.errors import Forbidden, InvalidInput
from leadflow.runtime import Runtime

log = logging.getLogger("leadflow.api.sendgrid")
router = APIRouter(tags=["provider webhooks"], include_in_schema=False)
OPT_OUT_EVENTS = frozenset({"email.unsubscribed", "email.spam_reported"})


class EventsAccepted(BaseModel):
    received: int = Field(description="Events in the post.")
    recorded: int = Field(description="Events recorded now.")
    duplicates: int = Field(description="Events recorded before (same sg_event_id).")
    unknown_message: int = Field(description="Events of messages this installation never sent.")
    not_recorded: int = Field(description="Event kinds not recorded (processed, deferred...).")


@lru_cache(maxsize=4)
def _key(text: str) -> ec.EllipticCurvePublicKey:
    return sg.load_public_key(text)


def _record(rt: Runtime, body: bytes) -> EventsAccepted:
    now = rt.clock.now()
    try:
        events = sg.parse_events(body)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    mapped = sg.to_events(rt.store, events, now)
    ids = rt.store.append_events(mapped.events, now) if mapped.events else []
    patches = []
    for event, event_id in zip(mapped.events, ids, strict=True):
        if event_id is None or event.type not in OPT_OUT_EVENTS or not event.contact_id:
            continue
        data = event.data
        patch = opt_out_patch(
            rt.store,
            event.contact_id,
            str(data.get("source")),
            str(data.get("evidence")),
            event.occurred_at,
            event_id,
        )
        if patch is not None:
            patches.append(patch)
    if patches:
        rt.store.apply_contact_patches(patches, now)
    recorded = sum(1 for i in ids if i is not None)
    return EventsAccepted(
        received=len(events),
        recorded=recorded,
        duplicates=len(ids) - recorded,
        unknown_message=mapped.unknown_message,
        not_recorded=mapped.not_recorded,
    )


@router.post("/webhooks/sendgrid/events")
async def sendgrid_events(
    request: Request,
    signature: str | None = Header(default=None, alias=sg.SIGNATURE_HEADER),
    timestamp: str | None = Header(default=None, alias=sg.TIMESTAMP_HEADER),
) -> EventsAccepted:
    rt = get_runtime(request)
    body = await request.body()
    configured = rt.settings.sendgrid_webhook_public_key
    try:
        if not configured:
            raise sg.BadSignature("LEADFLOW_SENDGRID_WEBHOOK_PUBLIC_KEY is not set")
        sg.verify(_key(configured), signature, timestamp, body, rt.clock.now())
    except (sg.BadSignature, ValueError) as exc:
        log.warning("SendGrid event post refused: %s", exc)
        raise Forbidden("the SendGrid event signature is missing, stale or not valid") from None
    return await run_in_threadpool(_record, rt, body)
