"""``/api/v1/webhooks``: the tenant's inbound secret and its outbound subscriptions (admin keys
only). Secrets are returned once: when made or rotated, never by a later read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from leadflow.access import webhooks as service
from leadflow.api.data.shape import Iso, Record
from leadflow.api.deps import AccessDep
from leadflow.api.problems import problem_responses
from leadflow.api.routes import create_route, routed
from leadflow.model.webhooks import WebhookDelivery

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=problem_responses(403))

URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][^\s]*)?$"
SubId = Annotated[str, Path(min_length=1, max_length=64, description="The subscription id.")]


class InboundSecret(BaseModel):
    tenant_id: str
    secret: str = Field(description="Signs inbound lead webhooks; shown only now.")
    header: str = "Leadflow-Signature"


class SubscriptionIn(BaseModel):
    url: str = Field(
        min_length=1, max_length=2000, pattern=URL_PATTERN, description="An http(s) URL."
    )
    event_types: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=100, description='Event types, or ["*"] for all.'
    )
    description: str | None = Field(default=None, max_length=500)
    active: bool = True


class SubscriptionPatch(BaseModel):
    url: str | None = Field(default=None, min_length=1, max_length=2000, pattern=URL_PATTERN)
    event_types: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, min_length=1, max_length=100
    )
    description: str | None = Field(default=None, max_length=500)
    active: bool | None = None


class Subscription(Record):
    id: str
    url: str
    event_types: list[str]
    active: bool
    description: str | None
    created_at: Iso


class SubscriptionCreated(Subscription):
    secret: str = Field(description="Signs the deliveries (Leadflow-Signature); shown only now.")


class SubscriptionList(BaseModel):
    items: list[Subscription]


class Delivery(Record):
    id: int
    event_id: int
    event_type: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    next_attempt_at: Iso
    last_status: int | None = Field(description="The receiver's last HTTP status.")
    last_error: str | None
    created_at: Iso
    delivered_at: Iso


class DeliveryList(BaseModel):
    items: list[Delivery]


def _delivery(d: WebhookDelivery) -> Delivery:
    pending = d.status == "pending"
    return Delivery.of(d, next_attempt_at=d.next_attempt_at if pending else None)


@router.post("/secret", summary="Rotate the tenant's inbound webhook secret")
def rotate_secret(access: AccessDep) -> InboundSecret:
    secret = service.rotate_secret(access.runtime.store, access.principal, access.now())
    return InboundSecret(tenant_id=access.scope.tenant_id, secret=secret)


@router.get("", summary="List webhook subscriptions")
def list_subscriptions(access: AccessDep) -> SubscriptionList:
    found = service.listed(access.runtime.store, access.principal)
    return SubscriptionList(items=[Subscription.of(s) for s in found])


@create_route(router, "", "Subscribe a URL to events")
def create_subscription(access: AccessDep, body: SubscriptionIn) -> SubscriptionCreated:
    sub = service.create(
        access.runtime.store,
        access.principal,
        body.url,
        body.event_types,
        access.now(),
        active=body.active,
        description=body.description,
    )
    return SubscriptionCreated.of(sub)


@routed(router.get, "/{sub_id}", "Show a subscription", 404)
def get_subscription(access: AccessDep, sub_id: SubId) -> Subscription:
    return Subscription.of(service.get(access.runtime.store, access.principal, sub_id))


@routed(router.patch, "/{sub_id}", "Change a subscription", 404)
def update_subscription(access: AccessDep, sub_id: SubId, body: SubscriptionPatch) -> Subscription:
    changes = body.model_dump(include=body.model_fields_set)
    return Subscription.of(service.update(access.runtime.store, access.principal, sub_id, changes))


@router.delete(
    "/{sub_id}", status_code=204, summary="Delete a subscription", responses=problem_responses(404)
)
def delete_subscription(access: AccessDep, sub_id: SubId) -> None:
    service.delete(access.runtime.store, access.principal, sub_id)


@routed(router.get, "/{sub_id}/deliveries", "The delivery log of a subscription", 404)
def list_deliveries(
    access: AccessDep,
    sub_id: SubId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
) -> DeliveryList:
    found = service.deliveries(access.runtime.store, access.principal, sub_id, limit, after_id)
    return DeliveryList(items=[_delivery(d) for d in found])
