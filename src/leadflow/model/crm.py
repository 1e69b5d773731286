"""CRM connector records (GoHighLevel, Follow Up Boss): a tenant's connector, the log of every
call made to the CRM, the links between leadflow contacts and CRM contacts, and the contact
sync's per-field state and log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

CRMS = ("ghl", "fub")
DELIVERY_STATUSES = ("pending", "done", "failed")


@dataclass(slots=True)
class CrmConnector:
    """One CRM connection of a tenant. ``config`` holds the secrets too (API key, system key,
    webhook keys): the store keeps them, nothing else shows them (see ``integrations.config``)."""

    tenant_id: str
    crm: str
    config: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(slots=True)
class CrmDelivery:
    """One outbound change to a CRM under its idempotency key (unique per tenant and CRM),
    with every HTTP call made for it counted in ``attempts``."""

    id: int
    tenant_id: str
    crm: str
    operation: str
    idempotency_key: str
    contact_id: str | None
    status: str  # pending (stored before the call) | done | failed
    attempts: int = 0
    http_status: int | None = None
    remote_id: str | None = None  # the CRM's id of what was written
    error: str | None = None
    request: dict[str, Any] = field(default_factory=dict)  # what was asked, never a secret
    calls: list[dict[str, Any]] = field(default_factory=list)  # method, path, status, at, error
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class CrmOutcome:
    """What became of a delivery: its status (pending|done|failed), the HTTP calls made for it
    in all (``attempts``), the last call's status, the CRM's id of what was written, the error,
    and the calls of this round (appended to the delivery's log)."""

    status: str
    attempts: int
    http_status: int | None = None
    remote_id: str | None = None
    error: str | None = None
    calls: Sequence[dict[str, Any]] = ()


@dataclass(slots=True)
class NewCrmDelivery:
    tenant_id: str
    crm: str
    operation: str
    idempotency_key: str
    contact_id: str | None
    request: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CrmSyncUpdate:
    """What one sync of a contact stores: the value each field now has on both sides
    (``state``, field -> JSON value) and the decisions made (``entries``)."""

    tenant_id: str
    crm: str
    contact_id: str
    state: dict[str, Any]
    entries: Sequence[CrmSyncEntry] = ()


@dataclass(slots=True)
class CrmSyncEntry:
    """One field the contact sync decided: which side's value won and why."""

    tenant_id: str
    crm: str
    contact_id: str
    field: str
    local_value: Any
    remote_value: Any
    winner: str  # local | remote
    local_at: float | None
    remote_at: float | None
    at: float = 0.0
    id: int = 0


__all__ = [
    "CRMS",
    "DELIVERY_STATUSES",
    "CrmConnector",
    "CrmDelivery",
    "CrmOutcome",
    "CrmSyncEntry",
    "CrmSyncUpdate",
    "NewCrmDelivery",
]
