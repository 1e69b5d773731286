"""Webhooks in the memory backend (the same rules as the SQL backends)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from leadflow.errors import StoreError
from leadflow.model.webhooks import (
    DELIVERY_DELIVERED,
    DELIVERY_PENDING,
    NewDelivery,
    WebhookDelivery,
    WebhookSubscription,
)
from leadflow.store.contract_webhooks import DeliveryAttempt, WebhookStore
from leadflow.store.parts import MemoryPart


@dataclass
class _Hooks:
    secrets: dict[str, str] = field(default_factory=dict)
    subs: dict[str, WebhookSubscription] = field(default_factory=dict)
    deliveries: dict[int, WebhookDelivery] = field(default_factory=dict)
    pairs: set[tuple[str, int]] = field(default_factory=set)
    replays: dict[str, float] = field(default_factory=dict)
    next_id: int = 1


def _copy_sub(sub: WebhookSubscription) -> WebhookSubscription:
    return replace(sub, event_types=list(sub.event_types))


def _copy_delivery(d: WebhookDelivery) -> WebhookDelivery:
    return replace(d, payload=dict(d.payload))


class MemoryWebhooks(MemoryPart, WebhookStore):
    def _hooks(self) -> _Hooks:
        return self._table("_hooks_data", _Hooks)

    # ------------------------------------------------------------------ inbound
    def set_inbound_secret(self, tenant_id: str, secret: str, now: float) -> None:
        with self._lock:
            self._hooks().secrets[tenant_id] = secret

    def get_inbound_secret(self, tenant_id: str) -> str | None:
        with self._lock:
            return self._hooks().secrets.get(tenant_id)

    def remember_signature(self, digest: str, now: float, keep_s: float) -> bool:
        with self._lock:
            replays = self._hooks().replays
            for old in [k for k, seen in replays.items() if seen < now - keep_s]:
                del replays[old]
            if digest in replays:
                return False
            replays[digest] = now
            return True

    def forget_signature(self, digest: str) -> None:
        with self._lock:
            self._hooks().replays.pop(digest, None)

    # ------------------------------------------------------------------ subscriptions
    def create_subscription(self, sub: WebhookSubscription, now: float) -> None:
        with self._lock:
            subs = self._hooks().subs
            if sub.id in subs:
                raise StoreError(f"UNIQUE constraint failed: webhook_subscriptions.id ({sub.id})")
            subs[sub.id] = replace(_copy_sub(sub), created_at=now)

    def list_subscriptions(
        self, tenant_id: str, active_only: bool = False
    ) -> list[WebhookSubscription]:
        with self._lock:
            return [
                _copy_sub(s)
                for _, s in sorted(self._hooks().subs.items())
                if s.tenant_id == tenant_id and (s.active or not active_only)
            ]

    def subscribed_tenants(self) -> set[str]:
        with self._lock:
            return {s.tenant_id for s in self._hooks().subs.values() if s.active}

    def get_subscription(self, tenant_id: str, sub_id: str) -> WebhookSubscription | None:
        with self._lock:
            found = self._hooks().subs.get(sub_id)
            return _copy_sub(found) if found and found.tenant_id == tenant_id else None

    def update_subscription(self, sub: WebhookSubscription) -> bool:
        with self._lock:
            subs = self._hooks().subs
            old = subs.get(sub.id)
            if old is None or old.tenant_id != sub.tenant_id:
                return False
            subs[sub.id] = replace(
                old,
                url=sub.url,
                event_types=list(sub.event_types),
                active=sub.active,
                description=sub.description,
            )
            return True

    def delete_subscription(self, tenant_id: str, sub_id: str) -> bool:
        with self._lock:
            hooks = self._hooks()
            old = hooks.subs.get(sub_id)
            if old is None or old.tenant_id != tenant_id:
                return False
            del hooks.subs[sub_id]
            for did, d in list(hooks.deliveries.items()):
                if d.subscription_id == sub_id:
                    del hooks.deliveries[did]
                    hooks.pairs.discard((sub_id, d.event_id))
            return True

    # ------------------------------------------------------------------ deliveries
    def enqueue_deliveries(self, items: Sequence[NewDelivery], now: float) -> int:
        added = 0
        with self._lock:
            hooks = self._hooks()
            for item in items:
                pair = (item.subscription_id, item.event_id)
                if pair in hooks.pairs:
                    continue
                hooks.pairs.add(pair)
                did = hooks.next_id
                hooks.next_id += 1
                hooks.deliveries[did] = WebhookDelivery(
                    did,
                    item.subscription_id,
                    item.tenant_id,
                    item.event_id,
                    item.event_type,
                    dict(item.payload),
                    DELIVERY_PENDING,
                    0,
                    now,
                    None,
                    None,
                    now,
                )
                added += 1
        return added

    def claim_deliveries(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[WebhookDelivery]:
        with self._lock:
            due = sorted(
                (
                    d
                    for d in self._hooks().deliveries.values()
                    if d.status == DELIVERY_PENDING
                    and d.next_attempt_at <= now
                    and (d.lease_until is None or d.lease_until < now)
                ),
                key=lambda d: (d.next_attempt_at, d.id),
            )[:limit]
            for d in due:
                d.lease_owner, d.lease_until = owner, now + lease_s
            return [_copy_delivery(d) for d in due]

    def _finish_delivery(
        self, owner: str, delivery_id: int, attempt: DeliveryAttempt, now: float
    ) -> bool:
        with self._lock:
            d = self._hooks().deliveries.get(delivery_id)
            if d is None or d.lease_owner != owner:
                return False
            a = attempt
            d.status, d.attempts, d.next_attempt_at = a.status, a.attempts, a.next_attempt_at
            d.last_status, d.last_error = a.last_status, a.last_error
            d.delivered_at = now if a.status == DELIVERY_DELIVERED else None
            d.lease_owner = d.lease_until = None
            return True

    def list_deliveries(
        self, tenant_id: str, subscription_id: str, limit: int = 100, after_id: int = 0
    ) -> list[WebhookDelivery]:
        with self._lock:
            found = [
                _copy_delivery(d)
                for did, d in sorted(self._hooks().deliveries.items())
                if did > after_id
                and d.tenant_id == tenant_id
                and d.subscription_id == subscription_id
            ]
            return found[:limit]
