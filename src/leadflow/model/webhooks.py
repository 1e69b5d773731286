"""Records of the webhooks concern: outbound subscriptions and their delivery log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DELIVERY_PENDING = "pending"
DELIVERY_DELIVERED = "delivered"
DELIVERY_FAILED = "failed"
DELIVERY_STATUSES = (DELIVERY_PENDING, DELIVERY_DELIVERED, DELIVERY_FAILED)

SUB_COLS = "id, tenant_id, url, event_types, secret, active, description, created_at"
DELIVERY_COLS = (
    "id, subscription_id, tenant_id, event_id, event_type, payload, status, attempts, "
    "next_attempt_at, last_status, last_error, created_at, delivered_at, lease_owner, lease_until"
)


@dataclass(slots=True)
class WebhookSubscription:
    """A tenant's outbound subscription: events whose type is in ``event_types`` (or any
    type with ``"*"``) are POSTed to ``url``, signed with ``secret``."""

    id: str
    tenant_id: str
    url: str
    event_types: list[str]
    secret: str
    active: bool = True
    description: str | None = None
    created_at: float = 0.0

    def wants(self, event_type: str) -> bool:
        return self.active and ("*" in self.event_types or event_type in self.event_types)


@dataclass(slots=True)
class NewDelivery:
    subscription_id: str
    tenant_id: str
    event_id: int
    event_type: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class WebhookDelivery:
    id: int
    subscription_id: str
    tenant_id: str
    event_id: int
    event_type: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: float
    last_status: int | None
    last_error: str | None
    created_at: float
    delivered_at: float | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
