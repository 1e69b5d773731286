"""``/webhooks/twilio/...``: Twilio's inbound texts, status callbacks and voice requests.

Not under ``/api/v1`` and not behind an API key: every request must carry a valid
``X-Twilio-Signature`` made with ``LEADFLOW_TWILIO_AUTH_TOKEN`` over the public URL Twilio
called (rebuilt from ``LEADFLOW_PUBLIC_URL`` when set) and the form parameters. A missing or
forged signature, or the very same signed request seen again within ten minutes (a replay),
gets 403 and changes nothing (the replay guard keys on the signature and the parsed
parameters, so reordering them, encoding them otherwise or adding a ``&`` makes no new request);
a request that could not be handled is forgotten again, so Twilio's retry of it is not taken
for a replay.

An inbound text belongs to the tenant owning the number it was sent to
(:mod:`leadflow.channels.senders`). A text to a number no tenant owns is answered 200 (so
Twilio does not retry it), logged at WARNING with that number only (never the sender or the
words) and counted in ``leadflow_inbound_dropped_total{channel="sms",reason="unknown_to"}``;
nothing is written. Refusals are logged at WARNING with the route
and the reason, never the body, token or signature. Callbacks are also idempotent by their
dedupe keys.

These routes speak Twilio's form-encoded protocol, not the API's JSON, so they are left out of
the OpenAPI document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from leadflow.addresses import strip_whatsapp
from leadflow.api.deps import get_runtime
from leadflow.api.metrics import InboundMetrics
from leadflow.channels import senders
from leadflow.channels import twilio_inbound as inbound
from leadflow.channels.twilio_signature import (
    HEADER,
    BadSignature,
    FormParams,
    public_url,
    replay_digest,
    verify,
)
from leadflow.channels.twilio_voice import agent_phone, answer
from leadflow.errors import Forbidden
from leadflow.model.records import NewEvent
from leadflow.runtime import Runtime

log = logging.getLogger("leadflow.api.twilio")
REPLAY_KEEP_S = 600.0
XML = "text/xml"
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'

router = APIRouter(prefix="/webhooks/twilio", include_in_schema=False)

Handler = Callable[[Runtime, FormParams, float], str]


def _checked(
    rt: Runtime, route: str, url: str, signature: str | None, body: bytes
) -> tuple[FormParams, str]:
    """The form parameters of a request Twilio signed, seen for the first time, and the digest
    remembered for it."""
    now = rt.clock.now()
    token = rt.settings.twilio_auth_token
    try:
        params = FormParams.parse(body)
        verify(token.get_secret_value() if token else None, url, params, signature)
        assert signature is not None
        digest = replay_digest(route, signature, params)
        if not rt.store.remember_signature(digest, now, REPLAY_KEEP_S):
            raise BadSignature("the same signed request was received before (replay)")
    except BadSignature as exc:
        log.warning("twilio %s webhook refused: %s", route, exc)
        raise Forbidden(f"a valid {HEADER} header is required") from None
    return params, digest


def _record(rt: Runtime, events: list[NewEvent]) -> None:
    if events:
        rt.store.append_events(events, rt.clock.now())


async def _handle(request: Request, route: str, handler: Handler) -> Response:
    rt = get_runtime(request)
    body = await request.body()
    url = public_url(rt.settings.public_url, request.url.path, request.url.query, str(request.url))
    signature = request.headers.get(HEADER)

    def work() -> str:
        params, digest = _checked(rt, route, url, signature, body)
        try:
            return handler(rt, params, rt.clock.now())
        except BaseException:
            # Twilio retries with the very same signed request: it must not meet the replay
            # guard, or an inbound STOP that hit a failure here would be lost.
            rt.store.forget_signature(digest)
            raise

    return Response(await run_in_threadpool(work), media_type=XML)


def _dropped(request: Request, channel: str, reason: str) -> None:
    found = getattr(request.app.state, "inbound_metrics", None)
    if isinstance(found, InboundMetrics):
        found.dropped.labels(channel, reason).inc()


def _printable(value: str | None) -> str:
    """A number as it may go in a log line (one short line, nothing else)."""
    text = "".join(ch for ch in (value or "") if ch.isprintable())[:32]
    return repr(text) if text else "(none)"


def _status(rt: Runtime, params: FormParams, now: float) -> str:
    _record(rt, inbound.status_events(rt.store, params, now))
    return EMPTY


def _voice_status(rt: Runtime, params: FormParams, now: float) -> str:
    _record(rt, inbound.voice_status_events(rt.store, params, now))
    return EMPTY


@router.post("/sms")
async def receive_sms(request: Request) -> Response:
    """An inbound text or WhatsApp message (for the tenant owning the number it was sent
    to)."""

    def handler(rt: Runtime, params: FormParams, now: float) -> str:
        to, whatsapp = strip_whatsapp(params.get("To"))  # WhatsApp: whatsapp:+1... both ways
        channel = "whatsapp" if whatsapp else "sms"
        tenant = senders.inbound_tenant(
            rt.store, rt.settings, to, params.get("MessagingServiceSid")
        )
        if tenant is None:
            log.warning(
                "twilio %s to %s dropped: no tenant has that number or Messaging Service",
                channel,
                _printable(to),
            )
            _dropped(request, channel, "unknown_to")
            return EMPTY
        _record(rt, inbound.inbound_sms_events(rt.store, params, now, tenant))
        return EMPTY

    return await _handle(request, "sms", handler)


@router.post("/status")
async def receive_status(request: Request) -> Response:
    """A message status callback."""
    return await _handle(request, "status", _status)


@router.post("/voice")
async def answer_call(request: Request) -> Response:
    """What to do with a call that was answered (TwiML)."""
    ref = request.query_params.get("m")

    def handler(rt: Runtime, params: FormParams, now: float) -> str:
        message = inbound.voice_message(rt.store, ref)
        phone = agent_phone(rt.store, message) if message is not None else None
        event = inbound.answered_event(message, params, now)
        _record(rt, [event] if event else [])
        return answer(message, params.get("AnsweredBy"), phone)

    return await _handle(request, "voice", handler)


@router.post("/voice/status")
async def receive_voice_status(request: Request) -> Response:
    """A call status callback."""
    return await _handle(request, "voice-status", _voice_status)
