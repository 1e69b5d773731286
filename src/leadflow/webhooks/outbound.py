"""Outbound webhooks: events fanned out to the subscriptions that want them, then POSTed.

``fan_out(now)`` reads events after the cursor kept in store meta ``webhooks_out_cursor`` and
enqueues one delivery per (active subscription of the event's contact's tenant, event) whose
``event_types`` hold the type or ``"*"``. ``deliver_due(now)`` claims due deliveries and POSTs
``{"id", "type", "occurred_at", "contact_id", "data"}`` signed with the subscription's secret
(``Leadflow-Signature``). A 2xx answer delivers it; anything else is retried after
``30 s * 2**(attempts - 1)`` (capped at 6 h) until :data:`MAX_ATTEMPTS` attempts, then it is
failed. The log keeps the HTTP status or error text, never the secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import httpx

from leadflow.channels.ssrf import GuardedClient, TargetRefused
from leadflow.clock import to_iso
from leadflow.model.records import Event
from leadflow.model.webhooks import (
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_PENDING,
    NewDelivery,
    WebhookDelivery,
    WebhookSubscription,
)
from leadflow.store.contract import Store
from leadflow.webhooks import signing

CURSOR = "webhooks_out_cursor"
MAX_ATTEMPTS = 8
BASE_DELAY_S = 30.0
MAX_DELAY_S = 6 * 3600.0
TIMEOUT_S = 10.0
SETTLE_S = 10.0  # how long an event id may wait for its transaction to commit
FAN_OUT_BATCH = 500
LEASE_S = 60.0

log = logging.getLogger(__name__)


def backoff(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones (1 -> 30 s, 2 -> 60 s ...)."""
    return float(min(BASE_DELAY_S * 2.0 ** max(attempts - 1, 0), MAX_DELAY_S))


def payload_of(event: Event) -> dict[str, object]:
    return {
        "id": event.id,
        "type": event.type,
        "occurred_at": to_iso(event.occurred_at),
        "contact_id": event.contact_id,
        "data": event.data,
    }


class WebhookDispatcher:
    def __init__(
        self,
        store: Store,
        owner: str,
        *,
        allow_private: bool = False,
        batch: int = 50,
        http: GuardedClient | None = None,
    ) -> None:
        self.store = store
        self.owner = owner
        self.batch = batch
        # The client is made on first delivery: most workers never deliver any.
        self.http = http or GuardedClient(allow_private=allow_private, timeout_s=TIMEOUT_S)

    def close(self) -> None:
        self.http.close()

    def tick(self, now: float) -> int:
        return self.fan_out(now) + self.deliver_due(now)

    # ------------------------------------------------------------------ fan-out
    def fan_out(self, now: float) -> int:
        """Enqueue deliveries for the events after the cursor; return how many were new.

        The cursor only moves past events older than ``SETTLE_S``: on PostgreSQL ids are handed
        out before commit, so a transaction that commits late can add an event below an id
        already seen. Younger events are read again on the next tick (enqueueing is idempotent
        per subscription and event), so such an event is still found while it is young.

        With no active subscription anywhere (the usual case) only the cursor moves: the store
        is asked for the events' ids and times alone (``event_marks``), not for the events."""
        raw = self.store.get_meta(CURSOR)
        cursor = int(raw) if raw and raw.isdigit() else 0
        seen = self.store.event_marks(cursor, FAN_OUT_BATCH)
        if not seen:
            return 0
        added = 0
        subscribed = self.store.subscribed_tenants()
        if subscribed:
            events = self.store.list_events(limit=FAN_OUT_BATCH, after_id=cursor)
            seen = [(e.id, e.created_at) for e in events]
            items = self._items(events) if events else []
            added = self.store.enqueue_deliveries(items, now) if items else 0
        settled = cursor
        for event_id, created_at in seen:
            if created_at > now - SETTLE_S:
                break
            settled = event_id
        if settled != cursor:
            self.store.set_meta(CURSOR, str(settled))
        return added

    def _items(self, events: Sequence[Event]) -> list[NewDelivery]:
        ids = {e.contact_id for e in events if e.contact_id}
        contacts = self.store.get_contacts(ids) if ids else {}
        subs: dict[str, list[WebhookSubscription]] = {}
        items: list[NewDelivery] = []
        for event in events:
            contact = contacts.get(event.contact_id) if event.contact_id else None
            if contact is None:
                continue
            tenant = contact.tenant_id
            if tenant not in subs:
                subs[tenant] = self.store.list_subscriptions(tenant, active_only=True)
            for sub in subs[tenant]:
                if sub.wants(event.type):
                    items.append(
                        NewDelivery(sub.id, tenant, event.id, event.type, payload_of(event))
                    )
        return items

    # ------------------------------------------------------------------ delivery
    def deliver_due(self, now: float) -> int:
        """POST the due deliveries; return how many were attempted."""
        claimed = self.store.claim_deliveries(self.owner, now, self.batch, LEASE_S)
        secrets: dict[str, WebhookSubscription | None] = {}
        for d in claimed:
            if d.subscription_id not in secrets:
                secrets[d.subscription_id] = self.store.get_subscription(
                    d.tenant_id, d.subscription_id
                )
            self._deliver(d, secrets[d.subscription_id], now)
        return len(claimed)

    def _deliver(self, d: WebhookDelivery, sub: WebhookSubscription | None, now: float) -> None:
        attempts = d.attempts + 1
        status: int | None = None
        if sub is None or not sub.active:
            error: str | None = "the subscription is gone or inactive"
        else:
            status, error = self._post(sub, d, now)
        if error is None:
            outcome, due = DELIVERY_DELIVERED, now
        elif attempts >= MAX_ATTEMPTS or sub is None or not sub.active:
            outcome, due = DELIVERY_FAILED, now
        else:
            outcome, due = DELIVERY_PENDING, now + backoff(attempts)
        if error is not None:
            log.info("webhook delivery %s attempt %s: %s", d.id, attempts, error)
        self.store.finish_delivery(self.owner, d.id, outcome, attempts, due, status, error, now)

    def _post(
        self, sub: WebhookSubscription, d: WebhookDelivery, now: float
    ) -> tuple[int | None, str | None]:
        body = json.dumps(d.payload, separators=(",", ":"), sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            signing.HEADER: signing.sign(sub.secret, now, body),
            "Idempotency-Key": f"lf-{d.subscription_id}-{d.event_id}",
            "Leadflow-Event": d.event_type,
        }
        try:
            response = self.http.request("POST", sub.url, headers, body)
        except TargetRefused as exc:
            return None, exc.reason[:500]
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"
