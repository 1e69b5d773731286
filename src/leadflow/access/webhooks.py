"""A tenant's webhooks: its inbound secret and its outbound subscriptions with their delivery
logs, all for admins only. Secrets are given once: when made or rotated. Another tenant's
subscription is NotFound as a missing one is."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from leadflow.access.scope import ADMIN, require_role
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.vocabulary import canonical
from leadflow.model.webhooks import WebhookDelivery, WebhookSubscription
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal
from leadflow.webhooks.signing import new_secret

MANAGING = "managing webhooks"


def clean_url(value: str) -> str:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        raise InvalidInput("url is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("url must be an http(s) URL with a host")
    return value.strip()


def _event_types(given: Sequence[str]) -> list[str]:
    """The types subscribed to, once each, under the vocabulary's names (``property.viewed``
    subscribes to ``listing.viewed``, the name its events are stored under)."""
    return list(dict.fromkeys(canonical(t.strip()) for t in given))


def rotate_secret(store: Store, principal: Principal, now: float) -> str:
    """A new inbound secret for the tenant (the old one stops working)."""
    tenant = require_role(principal, ADMIN, "rotating the webhook secret")
    secret = new_secret()
    store.set_inbound_secret(tenant, secret, now)
    return secret


def listed(store: Store, principal: Principal) -> list[WebhookSubscription]:
    return store.list_subscriptions(require_role(principal, ADMIN, MANAGING))


def create(
    store: Store,
    principal: Principal,
    url: str,
    event_types: Sequence[str],
    now: float,
    *,
    active: bool = True,
    description: str | None = None,
) -> WebhookSubscription:
    """A new subscription, with its signing secret (shown to the caller this once)."""
    sub = WebhookSubscription(
        id="wh_" + secrets.token_hex(8),
        tenant_id=require_role(principal, ADMIN, MANAGING),
        url=clean_url(url),
        event_types=_event_types(event_types),
        secret=new_secret(),
        active=active,
        description=description,
    )
    store.create_subscription(sub, now)
    sub.created_at = now
    return sub


def get(store: Store, principal: Principal, sub_id: str) -> WebhookSubscription:
    sub = store.get_subscription(require_role(principal, ADMIN, MANAGING), sub_id)
    if sub is None:
        raise NotFound(f"no webhook subscription {sub_id!r}")
    return sub


def update(
    store: Store, principal: Principal, sub_id: str, changes: dict[str, Any]
) -> WebhookSubscription:
    """Change what ``changes`` names (``url``, ``event_types``, ``active``: a None leaves it as
    it is; ``description``: None clears it)."""
    sub = get(store, principal, sub_id)
    if changes.get("url") is not None:
        sub.url = clean_url(changes["url"])
    if changes.get("event_types") is not None:
        sub.event_types = _event_types(changes["event_types"])
    if "description" in changes:
        sub.description = changes["description"]
    if changes.get("active") is not None:
        sub.active = changes["active"]
    if not store.update_subscription(sub):
        raise NotFound(f"no webhook subscription {sub_id!r}")
    return sub


def delete(store: Store, principal: Principal, sub_id: str) -> None:
    if not store.delete_subscription(require_role(principal, ADMIN, MANAGING), sub_id):
        raise NotFound(f"no webhook subscription {sub_id!r}")


def deliveries(
    store: Store, principal: Principal, sub_id: str, limit: int, after_id: int
) -> list[WebhookDelivery]:
    """A subscription's delivery log, by id."""
    sub = get(store, principal, sub_id)
    return store.list_deliveries(sub.tenant_id, sub.id, limit, after_id)
