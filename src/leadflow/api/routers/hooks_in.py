"""``/api/v1/hooks/{tenant_id}/...``: leads pushed in by portals, CRMs and mail relays.

Not under the API-key dependency: each request is authenticated by its ``Leadflow-Signature``
(HMAC-SHA256 with the tenant's inbound secret, see :mod:`leadflow.webhooks.signing`). A missing,
forged, stale or replayed signature -- or a tenant that does not exist or has no secret -- gets
the same 401 and changes nothing; the refusal is logged at WARNING without the body or secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from leadflow.api.deps import get_runtime
from leadflow.api.problems import problem_responses
from leadflow.errors import InvalidInput, NotAuthenticated
from leadflow.runtime import Runtime
from leadflow.webhooks import signing
from leadflow.webhooks.crm import from_crm
from leadflow.webhooks.ingest import check_storable, dedupe_key, ingest
from leadflow.webhooks.lead_email import from_email
from leadflow.webhooks.leads import Lead, from_json

log = logging.getLogger("leadflow.api.hooks")
REPLAY_KEEP_S = 2 * signing.TOLERANCE_S + 60

router = APIRouter(
    prefix="/api/v1/hooks/{tenant_id}",
    tags=["inbound webhooks"],
    responses=problem_responses(400, 401, 422, 500),
)

TenantPath = Annotated[
    str, Path(min_length=1, max_length=64, description="The tenant the leads belong to.")
]
SignatureHeader = Annotated[
    str | None,
    Header(
        alias=signing.HEADER,
        description="`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f'{t}.{raw body}')>`",
    ),
]
IdempotencyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="The sender's id of the lead (retries)."),
]


class LeadAccepted(BaseModel):
    contact_id: str
    created: bool = Field(description="A new contact (false: merged by e-mail or phone).")
    event_id: int | None = Field(description="null when this lead was received before.")
    event_type: str


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the body must be JSON") from None


def _accept(
    rt: Runtime,
    tenant_id: str,
    route: str,
    signature: str | None,
    body: bytes,
    parse: Callable[[bytes], Lead],
) -> LeadAccepted:
    now = rt.clock.now()
    store = rt.store
    secret = store.get_inbound_secret(tenant_id)
    try:
        if secret is None:
            raise signing.BadSignature("no inbound secret for this tenant")
        matched = signing.verify(secret, signature, body, now)
        digest = signing.replay_digest(tenant_id, matched)
        if not store.remember_signature(digest, now, REPLAY_KEEP_S):
            raise signing.BadSignature("signature already used (replay)")
    except signing.BadSignature as exc:
        log.warning("inbound %s webhook for tenant %r refused: %s", route, tenant_id, exc)
        raise NotAuthenticated(f"a valid {signing.HEADER} header is required") from None
    lead = parse(body)
    check_storable(lead)  # before its dedupe key is made from it
    done = ingest(store, tenant_id, lead, dedupe_key(tenant_id, route, lead, body), now)
    return LeadAccepted(
        contact_id=done.contact_id,
        created=done.created,
        event_id=done.event_id,
        event_type=done.event_type,
    )


_JSON_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}}
_MAIL_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "message/rfc822": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}},
        },
    }
}


async def _receive(
    request: Request,
    tenant_id: str,
    route: str,
    signature: str | None,
    parse: Callable[[bytes], Lead],
) -> LeadAccepted:
    body = await request.body()
    rt = get_runtime(request)
    return await run_in_threadpool(_accept, rt, tenant_id, route, signature, body, parse)


def _json_route(
    route: str, summary: str, name: str, convert: Callable[[Any, str | None], Lead]
) -> None:
    """Register ``POST /{route}``: a JSON body turned into a lead by ``convert``."""

    async def receive(
        request: Request,
        tenant_id: TenantPath,
        signature: SignatureHeader = None,
        idempotency_key: IdempotencyHeader = None,
    ) -> LeadAccepted:
        def parse(raw: bytes) -> Lead:
            return convert(_json(raw), idempotency_key)

        return await _receive(request, tenant_id, route, signature, parse)

    receive.__name__ = receive.__qualname__ = name
    router.post(f"/{route}", summary=summary, openapi_extra=_JSON_BODY, name=name)(receive)


_json_route("leads", "Receive a lead (generic JSON)", "receive_lead", from_json)
_json_route(
    "crm-events", "Receive a CRM lead event (person, property)", "receive_crm_event", from_crm
)


@router.post(
    "/lead-email",
    summary="Receive a portal lead e-mail (Real Estate Lead Metadata 1.0)",
    openapi_extra=_MAIL_BODY,
)
async def receive_lead_email(
    request: Request, tenant_id: TenantPath, signature: SignatureHeader = None
) -> LeadAccepted:
    return await _receive(request, tenant_id, "lead-email", signature, from_email)
