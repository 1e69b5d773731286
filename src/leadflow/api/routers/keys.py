"""``/api/v1/keys``: the tenant's API keys (admins list, create and revoke; every key may see
itself). A key's secret is shown once, in the answer that creates it, and never stored."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadflow.access import keys as service
from leadflow.api.data.shape import Record, Time
from leadflow.api.deps import AccessDep, forget_key
from leadflow.api.routes import create_route, routed

router = APIRouter(prefix="/keys", tags=["keys"])
KeyId = Annotated[str, Path(min_length=1, max_length=64, description="The key's public id.")]


class KeyOut(Record):
    id: str = Field(description="The public part of the key (safe to log).")
    role: str
    member_key: str | None
    name: str | None
    created_at: Time
    revoked_at: Time


class KeyList(BaseModel):
    items: list[KeyOut]


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "manager", "agent"]
    member_key: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = Field(
        default=None, description="The agent (RESO MemberKey) of a manager or agent key."
    )
    name: Annotated[str, StringConstraints(max_length=200)] | None = None


class KeyCreated(KeyOut):
    key: str = Field(description="The key itself: shown this once, never again.")


@routed(router.get, "", "List the tenant's keys (revoked ones too)", 403)
def list_keys(access: AccessDep) -> KeyList:
    found = service.listed(access.runtime.store, access.principal)
    return KeyList(items=[KeyOut.of(k) for k in found])


@router.get("/current", summary="The key making this request")
def current_key(access: AccessDep) -> KeyOut:
    return KeyOut.of(service.current(access.runtime.store, access.principal))


@create_route(router, "", "Create a key (its secret is in this answer only)", 403)
def create_key(access: AccessDep, body: KeyIn) -> KeyCreated:
    record, token = service.create(
        access.runtime.store,
        access.principal,
        body.role,
        access.now(),
        member_key=body.member_key,
        name=body.name,
    )
    return KeyCreated(**KeyOut.of(record).model_dump(), key=token)


@routed(
    router.delete,
    "/{key_id}",
    "Revoke a key (at once, in this process; other API processes within 5 s)",
    403,
    404,
)
def revoke_key(access: AccessDep, key_id: KeyId, request: Request) -> KeyOut:
    revoked, _ = service.revoke(access.runtime.store, access.principal, key_id, access.now())
    forget_key(request.app, key_id)
    return KeyOut.of(revoked)
