"""``/api/v1/tenants/current/senders``: the phone numbers, Twilio Messaging Services and e-mail
from-addresses of the caller's tenant (admin keys only).

Inbound texts are routed to the tenant owning the number they were sent to, and the tenant's
texts, calls and e-mails leave from these senders (:mod:`leadflow.channels.senders`). A sender
belongs to one tenant: registering another tenant's, or one of the installation's configured
senders (``LEADFLOW_TWILIO_FROM_NUMBER`` ..., the ``default`` tenant's), is a 409 that says only
that it is taken.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadflow.access import senders as service
from leadflow.api.data.shape import Record, Time
from leadflow.api.deps import AccessDep
from leadflow.api.routes import create_route, delete_route, routed
from leadflow.model.senders import Sender

router = APIRouter(prefix="/tenants/current/senders", tags=["senders"])
Kind = Literal["phone", "messaging_service", "email"]


class SenderOut(Record):
    kind: Kind
    address: str = Field(description="E.164 number, Messaging Service SID or e-mail address.")
    label: str | None = Field(description="E-mail: the From header's display name.")
    source: Literal["registered", "settings"] = Field(
        description="Registered for the tenant, or the installation's settings (default tenant)."
    )
    created_at: Time


def _out(s: Sender, source: Literal["registered", "settings"] = "registered") -> SenderOut:
    registered = source == "registered"
    return SenderOut.of(s, source=source, created_at=s.created_at if registered else None)


class SenderList(BaseModel):
    items: list[SenderOut]


class SenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    address: Annotated[str, StringConstraints(min_length=1, max_length=320)] = Field(
        description="+15125550100, MG + 32 hex digits, or name@example.com."
    )
    label: Annotated[str, StringConstraints(max_length=200)] | None = None


@routed(router.get, "", "List the tenant's senders", 403)
def list_senders(access: AccessDep) -> SenderList:
    found = service.listed(access.runtime.store, access.runtime.settings, access.principal)
    return SenderList(items=[_out(s, source) for s, source in found])


@create_route(router, "", "Register a sender for the tenant", 403, 409)
def add_sender(access: AccessDep, body: SenderIn) -> SenderOut:
    rt = access.runtime
    added = service.add(
        rt.store, rt.settings, access.principal, body.kind, body.address, access.now(), body.label
    )
    return _out(added)


@delete_route(router, "/{kind}/{address}", "Remove one of the tenant's senders", 403, 404)
def remove_sender(
    access: AccessDep,
    kind: Kind,
    address: Annotated[str, Path(min_length=1, max_length=320)],
) -> Response:
    service.remove(access.runtime.store, access.principal, kind, address)
    return Response(status_code=204)
