"""``/api/v1/inbound-email``: the tenant's own SendGrid Inbound Parse URL (admin keys only). The
secret is returned once: when made or rotated."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from leadflow.access import inbound_email as service
from leadflow.api.deps import AccessDep
from leadflow.api.problems import problem_responses

router = APIRouter(
    prefix="/inbound-email", tags=["inbound e-mail"], responses=problem_responses(403)
)


class SendGridHook(BaseModel):
    tenant_id: str
    secret: str = Field(description="The URL's secret part; shown only now.")
    path: str = Field(
        description="The path to give SendGrid Inbound Parse, after this installation's "
        "public URL: /hooks/sendgrid/inbound/{tenant}/{secret}."
    )


@router.post("/sendgrid-secret", summary="Make or rotate the tenant's Inbound Parse URL")
def rotate_sendgrid_secret(access: AccessDep) -> SendGridHook:
    hook = service.rotate_sendgrid_secret(access.runtime.store, access.principal)
    return SendGridHook(tenant_id=hook.tenant_id, secret=hook.secret, path=hook.path)
