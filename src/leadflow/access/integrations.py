"""A tenant's CRM connectors (GoHighLevel ``ghl``, Follow Up Boss ``fub``): their configuration
(admins only; secrets are stored but only ever shown masked), the delivery log of outbound
calls and the sync log, one-off operations and the contact sync, and the CRMs' signed webhooks.

:func:`crm_operation` is the plain call a rule action can make too: the tenant, the contact,
the operation and its parameters, and an idempotency key naming the change."""

from __future__ import annotations

import logging
from typing import Any

from leadflow.access.scope import ADMIN, WRITE_ROLES, require_role, scope_of, visible_contact
from leadflow.clock import Clock
from leadflow.errors import InvalidInput, NotAuthenticated, NotFound
from leadflow.integrations.config import check_crm, masked, parse_config
from leadflow.integrations.http import CrmError
from leadflow.integrations.inbound import Received, receive
from leadflow.integrations.node import bounded_sleep
from leadflow.integrations.operations import CrmLink, perform
from leadflow.integrations.ratelimit import PROCESS_BUCKETS
from leadflow.integrations.sync import SyncResult, sync_contact
from leadflow.model.crm import CrmConnector, CrmDelivery, CrmSyncEntry, NewCrmDelivery
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal
from leadflow.webhooks.signing import BadSignature

log = logging.getLogger("leadflow.access.integrations")
MANAGING = "managing CRM connectors"


def link_of(store: Store, clock: Clock) -> CrmLink:
    """What a call from the API or CLI uses: the process's rate-limit buckets, waits of a few
    seconds at most (a longer one is the CRM's retryable error)."""
    return CrmLink(store, clock, PROCESS_BUCKETS, bounded_sleep)


def _crm(crm: str) -> str:
    try:
        return check_crm(crm)
    except InvalidInput:
        raise NotFound(f"no CRM {crm!r} (ghl or fub)") from None


def _connector(store: Store, tenant_id: str, crm: str) -> CrmConnector:
    found = store.get_crm_connector(tenant_id, _crm(crm))
    if found is None:
        raise NotFound(f"no {crm} connector")
    return found


def shown(connector: CrmConnector) -> dict[str, Any]:
    return {
        "crm": connector.crm,
        "config": masked(connector.crm, connector.config),
        "created_at": connector.created_at,
        "updated_at": connector.updated_at,
    }


def put_connector(
    store: Store, principal: Principal, crm: str, config: Any, now: float
) -> dict[str, Any]:
    """Set (or replace) the tenant's connector; the checked config, secrets masked."""
    tenant = require_role(principal, ADMIN, MANAGING)
    checked = parse_config(_crm(crm), config)
    saved = store.put_crm_connector(
        CrmConnector(tenant, crm, checked.model_dump(exclude_none=True)), now
    )
    return shown(saved)


def get_connector(store: Store, principal: Principal, crm: str) -> dict[str, Any]:
    return shown(_connector(store, require_role(principal, ADMIN, MANAGING), crm))


def delete_connector(store: Store, principal: Principal, crm: str) -> None:
    tenant = require_role(principal, ADMIN, MANAGING)
    if not store.delete_crm_connector(tenant, _crm(crm)):
        raise NotFound(f"no {crm} connector")


def deliveries(
    store: Store, principal: Principal, crm: str, before_id: int | None, limit: int
) -> list[CrmDelivery]:
    """The connector's delivery log, newest first."""
    tenant = require_role(principal, WRITE_ROLES, "reading the CRM delivery log")
    return store.list_crm_deliveries(tenant, _crm(crm), before_id, limit)


def sync_log(
    store: Store, principal: Principal, crm: str, contact_id: str | None, limit: int
) -> list[CrmSyncEntry]:
    tenant = require_role(principal, WRITE_ROLES, "reading the CRM sync log")
    if contact_id is not None:
        visible_contact(store, scope_of(store, principal), contact_id)
    return store.list_crm_sync_log(tenant, _crm(crm), contact_id, limit)


def crm_operation(
    link: CrmLink,
    tenant_id: str,
    crm: str,
    operation: str,
    contact_id: str,
    params: dict[str, Any],
    idempotency_key: str,
) -> CrmDelivery:
    """One change in the tenant's CRM for one of its contacts (NotFound for a contact of
    another tenant), made once per ``idempotency_key``. The delivery says how it went: ``done``,
    ``pending`` (the CRM failed for now: the same call later tries again) or ``failed``."""
    contact = link.store.get_contact(contact_id)
    if contact is None or contact.tenant_id != tenant_id:
        raise NotFound(f"no contact {contact_id!r}")
    _connector(link.store, tenant_id, crm)
    try:
        return perform(link, tenant_id, _crm(crm), operation, contact, params, idempotency_key)
    except CrmError:  # recorded pending or failed: the stored entry says which (begun before)
        stored, _ = link.store.begin_crm_delivery(
            NewCrmDelivery(tenant_id, crm, operation, idempotency_key, contact.id), link.clock.now()
        )
        return stored


def operate(
    link: CrmLink,
    principal: Principal,
    crm: str,
    operation: str,
    contact_id: str,
    params: dict[str, Any],
    idempotency_key: str,
) -> CrmDelivery:
    require_role(principal, WRITE_ROLES, "changing the CRM")
    contact = visible_contact(link.store, scope_of(link.store, principal), contact_id)
    return crm_operation(
        link, principal.tenant_id, crm, operation, contact.id, params, idempotency_key
    )


def sync(link: CrmLink, principal: Principal, crm: str, contact_id: str) -> SyncResult:
    require_role(principal, WRITE_ROLES, "syncing contacts with the CRM")
    contact = visible_contact(link.store, scope_of(link.store, principal), contact_id)
    _connector(link.store, principal.tenant_id, crm)
    return sync_contact(link, crm, contact)


def webhook(
    link: CrmLink, tenant_id: str, crm: str, headers: dict[str, str], body: bytes
) -> Received:
    """A CRM's webhook delivery: NotAuthenticated (one answer for every refusal; the reason
    only in a WARNING line, without the body or a secret) unless signed and new."""
    try:
        return receive(link, tenant_id, _crm(crm), headers, body)
    except (BadSignature, NotFound) as exc:
        log.warning("%s webhook for tenant %r refused: %s", crm, tenant_id, exc)
        raise NotAuthenticated(f"a valid {crm} webhook signature is required") from None


__all__ = [
    "crm_operation",
    "delete_connector",
    "deliveries",
    "get_connector",
    "link_of",
    "operate",
    "put_connector",
    "sync",
    "sync_log",
    "webhook",
]
