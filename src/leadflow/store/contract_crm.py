"""CRM connectors: the per-tenant configuration, the delivery log of outbound calls (keyed by
idempotency key), contact links and the contact sync's state and log."""

from __future__ import annotations

import abc
from typing import Any

from leadflow.errors import StoreError
from leadflow.model.crm import (
    DELIVERY_STATUSES,
    CrmConnector,
    CrmDelivery,
    CrmOutcome,
    CrmSyncEntry,
    CrmSyncUpdate,
    NewCrmDelivery,
)


def check_outcome(outcome: CrmOutcome) -> None:
    """A delivery's status is one of :data:`DELIVERY_STATUSES` (as the SQL table checks)."""
    if outcome.status not in DELIVERY_STATUSES:
        raise StoreError(f"CHECK constraint failed: crm_deliveries.status {outcome.status!r}")


class CrmStore(abc.ABC):
    """The CRM methods of the store contract. Every method takes the tenant: nothing of one
    tenant is reachable from another."""

    @abc.abstractmethod
    def put_crm_connector(self, connector: CrmConnector, now: float) -> CrmConnector:
        """Insert or replace the tenant's connector for ``connector.crm`` (``created_at`` kept
        when it existed, ``updated_at`` = ``now``); the stored record."""

    @abc.abstractmethod
    def get_crm_connector(self, tenant_id: str, crm: str) -> CrmConnector | None: ...

    @abc.abstractmethod
    def delete_crm_connector(self, tenant_id: str, crm: str) -> bool:
        """True when it existed (and is gone)."""

    @abc.abstractmethod
    def begin_crm_delivery(self, item: NewCrmDelivery, now: float) -> tuple[CrmDelivery, bool]:
        """Record an outbound change as ``pending`` before its call is made; when the
        (tenant, crm, idempotency key) is already recorded, the stored one is returned
        untouched. Returns (delivery, created)."""

    @abc.abstractmethod
    def finish_crm_delivery(
        self, tenant_id: str, delivery_id: int, outcome: CrmOutcome, now: float
    ) -> None:
        """Write a delivery's outcome (see :func:`check_outcome`) and append its ``calls`` (the
        HTTP calls made for it) to the delivery's log; another tenant's id changes nothing."""

    @abc.abstractmethod
    def list_crm_deliveries(
        self, tenant_id: str, crm: str | None = None, before_id: int | None = None, limit: int = 100
    ) -> list[CrmDelivery]:
        """The tenant's deliveries, newest first (ids below ``before_id``), at most ``limit``."""

    @abc.abstractmethod
    def link_crm_contact(self, tenant_id: str, crm: str, contact_id: str, remote_id: str) -> None:
        """Remember that ``contact_id`` is ``remote_id`` in the CRM (replaces an older link of
        the contact and of the remote id)."""

    @abc.abstractmethod
    def crm_remote_id(self, tenant_id: str, crm: str, contact_id: str) -> str | None: ...

    @abc.abstractmethod
    def crm_contact_id(self, tenant_id: str, crm: str, remote_id: str) -> str | None: ...

    @abc.abstractmethod
    def crm_sync_state(self, tenant_id: str, crm: str, contact_id: str) -> dict[str, Any]:
        """The value of each field as last agreed by both sides (field -> JSON value)."""

    @abc.abstractmethod
    def save_crm_sync(self, update: CrmSyncUpdate, now: float) -> None:
        """Replace the fields of ``update.state`` in the contact's sync state and append
        ``update.entries`` to the sync log, in one transaction."""

    @abc.abstractmethod
    def list_crm_sync_log(
        self, tenant_id: str, crm: str, contact_id: str | None = None, limit: int = 100
    ) -> list[CrmSyncEntry]:
        """The sync log, newest first."""


__all__ = ["CrmStore", "check_outcome"]
