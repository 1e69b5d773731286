"""Webhooks: the inbound secret, outbound subscriptions and their delivery queue, and the replay
guard on signatures."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from leadflow.model.webhooks import NewDelivery, WebhookDelivery, WebhookSubscription


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """What became of one attempt at a delivery (see :meth:`WebhookStore.finish_delivery`)."""

    status: str
    attempts: int
    next_attempt_at: float
    last_status: int | None
    last_error: str | None


class WebhookStore(abc.ABC):
    """The webhooks methods of the store contract."""

    @abc.abstractmethod
    def set_inbound_secret(self, tenant_id: str, secret: str, now: float) -> None:
        """Set (or replace) the secret that signs ``tenant_id``'s inbound lead webhooks."""

    @abc.abstractmethod
    def get_inbound_secret(self, tenant_id: str) -> str | None: ...

    @abc.abstractmethod
    def create_subscription(self, sub: WebhookSubscription, now: float) -> None:
        """Insert an outbound subscription (``created_at`` becomes ``now``); StoreError when
        the id is taken."""

    @abc.abstractmethod
    def list_subscriptions(
        self, tenant_id: str, active_only: bool = False
    ) -> list[WebhookSubscription]:
        """The tenant's subscriptions by id."""

    @abc.abstractmethod
    def subscribed_tenants(self) -> set[str]:
        """Tenants with at least one active subscription (one small read: the fan-out asks it
        before looking up whose events it holds)."""

    @abc.abstractmethod
    def get_subscription(self, tenant_id: str, sub_id: str) -> WebhookSubscription | None:
        """The subscription when it belongs to ``tenant_id``; None otherwise."""

    @abc.abstractmethod
    def update_subscription(self, sub: WebhookSubscription) -> bool:
        """Write url, event types, active and description of the subscription with ``sub.id``
        in ``sub.tenant_id``; False when there is none."""

    @abc.abstractmethod
    def delete_subscription(self, tenant_id: str, sub_id: str) -> bool:
        """Delete the tenant's subscription and its delivery log; False when there is none."""

    @abc.abstractmethod
    def enqueue_deliveries(self, items: Sequence[NewDelivery], now: float) -> int:
        """Insert pending deliveries due ``now`` in one transaction; an item whose (subscription,
        event) is already there is skipped. Returns how many were new."""

    @abc.abstractmethod
    def claim_deliveries(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[WebhookDelivery]:
        """Lease pending deliveries due at ``now`` (no live lease) to ``owner`` until
        ``now + lease_s``, oldest due first."""

    def finish_delivery(
        self,
        owner: str,
        delivery_id: int,
        status: str,
        attempts: int,
        next_attempt_at: float,
        last_status: int | None,
        last_error: str | None,
        now: float,
    ) -> bool:
        """Record an attempt and release the lease (``delivered_at = now`` when delivered);
        False, changing nothing, unless ``owner`` holds the delivery's lease."""
        attempt = DeliveryAttempt(status, attempts, next_attempt_at, last_status, last_error)
        return self._finish_delivery(owner, delivery_id, attempt, now)

    @abc.abstractmethod
    def _finish_delivery(
        self, owner: str, delivery_id: int, attempt: DeliveryAttempt, now: float
    ) -> bool:
        """:meth:`finish_delivery` of the backend."""

    @abc.abstractmethod
    def list_deliveries(
        self, tenant_id: str, subscription_id: str, limit: int = 100, after_id: int = 0
    ) -> list[WebhookDelivery]:
        """The subscription's deliveries by id (ids above ``after_id``), in ``tenant_id`` only."""

    @abc.abstractmethod
    def remember_signature(self, digest: str, now: float, keep_s: float) -> bool:
        """Record an inbound signature digest: True when new, False when it was seen (a
        replay). Digests seen before ``now - keep_s`` are dropped."""

    @abc.abstractmethod
    def forget_signature(self, digest: str) -> None:
        """Drop a digest again: the request it was remembered for could not be handled, and its
        sender's retry (the same signed request, for senders that sign without a timestamp)
        must not be refused as a replay."""


__all__ = ["DeliveryAttempt", "WebhookStore"]


__all__ = ["DeliveryAttempt", "WebhookStore"]
