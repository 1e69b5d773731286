"""``/api/v1/tenants/current/senders``: the phone numbers, Twilio Messaging Services and e-mail
from-addresses of the caller's tenant (admin keys only).

Inbound texts are routed to the tenant owning the number they were sent to, and the tenant's
texts, calls and e-mails leave from these senders (:mod:`leadflow.channels.senders`). A sender
belongs to one tenant: registering another tenant's, or one of the installation's configured
senders (``LEADFLOW_TWILIO_FROM_NUMBER`` ..., the ``default`` tenant's), is a 409 that says only
that it is taken.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadflow.access.scope import require_role
from leadflow.api.data.contacts import when
from leadflow.api.deps import AccessDep
from leadflow.api.problems import problem_responses
from leadflow.channels import senders
from leadflow.model.senders import Sender

router = APIRouter(prefix="/tenants/current/senders", tags=["senders"])
ADMIN = frozenset({"admin"})
Kind = Literal["phone", "messaging_service", "email"]


class SenderOut(BaseModel):
    kind: Kind
    address: str = Field(description="E.164 number, Messaging Service SID or e-mail address.")
    label: str | None = Field(description="E-mail: the From header's display name.")
    source: Literal["registered", "settings"] = Field(
        description="Registered for the tenant, or the installation's settings (default tenant)."
    )
    created_at: datetime | None

    @classmethod
    def of(cls, s: Sender, source: Literal["registered", "settings"] = "registered") -> SenderOut:
        kind: Kind = s.kind  # type: ignore[assignment]
        return cls(
            kind=kind,
            address=s.address,
            label=s.label,
            source=source,
            created_at=when(s.created_at) if source == "registered" else None,
        )


class SenderList(BaseModel):
    items: list[SenderOut]


class SenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    address: Annotated[str, StringConstraints(min_length=1, max_length=320)] = Field(
        description="+15125550100, MG + 32 hex digits, or name@example.com."
    )
    label: Annotated[str, StringConstraints(max_length=200)] | None = None


@router.get("", summary="List the tenant's senders", responses=problem_responses(403))
def list_senders(access: AccessDep) -> SenderList:
    require_role(access.principal, ADMIN, "listing senders")
    tenant = access.scope.tenant_id
    store, settings = access.runtime.store, access.runtime.settings
    items = [SenderOut.of(s) for s in store.list_senders(tenant)]
    for (kind, address), owner in senders.configured(settings).items():
        if owner == tenant and store.sender_owner(kind, address) is None:
            items.append(SenderOut.of(Sender(tenant, kind, address), "settings"))
    return SenderList(items=items)


@router.post(
    "",
    status_code=201,
    summary="Register a sender for the tenant",
    responses=problem_responses(403, 409),
)
def add_sender(access: AccessDep, body: SenderIn) -> SenderOut:
    require_role(access.principal, ADMIN, "registering senders")
    rt = access.runtime
    added = senders.add(
        rt.store,
        rt.settings,
        access.scope.tenant_id,
        body.kind,
        body.address,
        access.now(),
        label=body.label,
    )
    return SenderOut.of(added)


@router.delete(
    "/{kind}/{address}",
    status_code=204,
    response_class=Response,
    summary="Remove one of the tenant's senders",
    responses=problem_responses(403, 404),
)
def remove_sender(
    access: AccessDep,
    kind: Kind,
    address: Annotated[str, Path(min_length=1, max_length=320)],
) -> Response:
    require_role(access.principal, ADMIN, "removing senders")
    senders.remove(access.runtime.store, access.scope.tenant_id, kind, address)
    return Response(status_code=204)
