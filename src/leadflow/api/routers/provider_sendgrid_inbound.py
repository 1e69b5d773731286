"""``POST /hooks/sendgrid/inbound/{secret}`` (the installation's hook) and
``POST /hooks/sendgrid/inbound/{tenant}/{secret}`` (a tenant's own, its secret made by its admin):
SendGrid Inbound Parse, the replies leads send to the parse domain (see docs/inbound-email.md).

No API key: the URL's secret path part (``LEADFLOW_SENDGRID_INBOUND_SECRET``, compared in
constant time) and, when ``LEADFLOW_SENDGRID_INBOUND_USERNAME`` is set, HTTP basic auth (SendGrid
sends the user and password written into the URL). A wrong or missing secret, or no secret
configured: 404, as if there were no such route. Wrong basic auth: 401. Both are logged at
WARNING without the secret or the body, and nothing is recorded. A post that cannot be read
(not multipart, no sender) is a 422 problem naming the field; SendGrid keeps retrying a post
that failed, so a post it answers 2xx is recorded exactly once (see
:mod:`leadflow.channels.email_inbound`). Not part of the OpenAPI document: SendGrid is its only
caller.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from leadflow.api.deps import get_runtime
from leadflow.channels import sendgrid_inbound as sgi
from leadflow.channels.email_inbound import MalformedEmail, record_inbound
from leadflow.errors import InvalidInput, NotAuthenticated, NotFound
from leadflow.runtime import Runtime

log = logging.getLogger("leadflow.api.sendgrid_inbound")
router = APIRouter(tags=["provider webhooks"], include_in_schema=False)


class InboundAccepted(BaseModel):
    recorded: int = Field(description="Events recorded now.")
    duplicates: int = Field(description="Events recorded before (the same e-mail again).")
    matched_by: str = Field(description="in_reply_to, references, from or none.")
    auto_reply: bool = Field(description="An automatic answer (not counted as a reply).")
    routed: bool = Field(description="Whether the e-mail belonged to a tenant.")


def _secret_ok(rt: Runtime, secret: str) -> bool:
    configured = rt.settings.sendgrid_inbound_secret
    if configured is None:
        return False
    return hmac.compare_digest(secret.encode(), configured.get_secret_value().encode())


def _basic_ok(rt: Runtime, authorization: str | None) -> bool:
    user = rt.settings.sendgrid_inbound_username
    if not user:
        return True
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    name, _, password = given.partition(":")
    want = rt.settings.sendgrid_inbound_password
    expected = want.get_secret_value() if want is not None else ""
    same_user = hmac.compare_digest(name.encode(), user.encode())
    return hmac.compare_digest(password.encode(), expected.encode()) and same_user


def _record(
    rt: Runtime, content_type: str | None, body: bytes, tenant_id: str | None
) -> InboundAccepted:
    now = rt.clock.now()
    try:
        mail = sgi.inbound_email(sgi.read_post(content_type, body))
    except MalformedEmail as exc:
        raise InvalidInput(str(exc), [(str(exc).split(":", 1)[0], str(exc))]) from None
    done = record_inbound(rt.store, rt.settings, mail, tenant_id, now)
    return InboundAccepted(
        recorded=done.events,
        duplicates=done.duplicates,
        matched_by=done.matched_by,
        auto_reply=done.auto_reply,
        routed=done.tenant_id is not None,
    )


@router.post("/hooks/sendgrid/inbound/{secret}")
async def sendgrid_inbound(
    request: Request,
    secret: str,
    authorization: str | None = Header(default=None),
    content_type: str | None = Header(default=None),
) -> InboundAccepted:
    rt = get_runtime(request)
    if not _secret_ok(rt, secret):
        log.warning("SendGrid inbound post refused: unknown path secret")
        raise NotFound("no such route")
    if not _basic_ok(rt, authorization):
        log.warning("SendGrid inbound post refused: basic auth missing or wrong")
        raise NotAuthenticated("the Inbound Parse URL's user and password are wrong")
    body = await request.body()
    tenant = rt.settings.sendgrid_inbound_tenant
    return await run_in_threadpool(_record, rt, content_type, body, tenant)


@router.post("/hooks/sendgrid/inbound/{tenant}/{secret}")
async def sendgrid_inbound_of_tenant(
    request: Request,
    tenant: str,
    secret: str,
    content_type: str | None = Header(default=None),
) -> InboundAccepted:
    """A tenant's own hook (its secret from ``POST /api/v1/inbound-email/sendgrid-secret``):
    every e-mail posted here belongs to that tenant and is matched inside it only."""
    rt = get_runtime(request)
    ok = await run_in_threadpool(sgi.tenant_secret_ok, rt.store, tenant, secret)
    if not ok:
        log.warning("SendGrid inbound post refused: unknown tenant or path secret")
        raise NotFound("no such route")
    body = await request.body()
    return await run_in_threadpool(_record, rt, content_type, body, tenant)
