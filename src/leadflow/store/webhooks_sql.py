"""Webhooks on SQLite and PostgreSQL: the same SQL, written with ``?`` placeholders and turned
into each database's style by its :class:`~leadflow.store.sql_common.Dialect`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from typing import Any

from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.webhooks import (
    DELIVERY_COLS,
    DELIVERY_DELIVERED,
    SUB_COLS,
    NewDelivery,
    WebhookDelivery,
    WebhookSubscription,
)
from leadflow.store.contract_webhooks import DeliveryAttempt, WebhookStore
from leadflow.store.parts import SqlPart


def _sub(row: Sequence[Any]) -> WebhookSubscription:
    sid, tenant, url, types, secret, active, description, created = row
    return WebhookSubscription(
        sid, tenant, url, list(loads(types) or []), secret, bool(active), description, created
    )


def _delivery(row: Sequence[Any]) -> WebhookDelivery:
    values = list(row)
    values[5] = loads(values[5]) or {}
    return WebhookDelivery(*values)


class SqlWebhooks(SqlPart, WebhookStore):
    """The webhook methods of the Store contract for the two SQL backends."""

    # ------------------------------------------------------------------ inbound
    def set_inbound_secret(self, tenant_id: str, secret: str, now: float) -> None:
        self._change(
            "INSERT INTO webhook_secrets (tenant_id, secret, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (tenant_id) DO UPDATE SET secret = excluded.secret, "
            "created_at = excluded.created_at",
            (tenant_id, secret, now),
        )

    def get_inbound_secret(self, tenant_id: str) -> str | None:
        rows = self._fetch("SELECT secret FROM webhook_secrets WHERE tenant_id = ?", (tenant_id,))
        return str(rows[0][0]) if rows else None

    def remember_signature(self, digest: str, now: float, keep_s: float) -> bool:
        sql = self._dialect.sql
        with self._write() as conn:
            conn.execute(sql("DELETE FROM webhook_replays WHERE seen_at < ?"), (now - keep_s,))
            added: int = conn.execute(
                sql(
                    "INSERT INTO webhook_replays (digest, seen_at) VALUES (?, ?) "
                    "ON CONFLICT (digest) DO NOTHING"
                ),
                (digest, now),
            ).rowcount
        return added == 1

    def forget_signature(self, digest: str) -> None:
        self._change("DELETE FROM webhook_replays WHERE digest = ?", (digest,))

    # ------------------------------------------------------------------ subscriptions
    def create_subscription(self, sub: WebhookSubscription, now: float) -> None:
        self._change(
            f"INSERT INTO webhook_subscriptions ({SUB_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sub.id,
                sub.tenant_id,
                sub.url,
                dumps(list(sub.event_types)),
                sub.secret,
                sub.active,
                sub.description,
                now,
            ),
        )

    def list_subscriptions(
        self, tenant_id: str, active_only: bool = False
    ) -> list[WebhookSubscription]:
        extra = " AND active = ?" if active_only else ""
        params: tuple[Any, ...] = (tenant_id, True) if active_only else (tenant_id,)
        return self._fetch_as(
            _sub,
            f"SELECT {SUB_COLS} FROM webhook_subscriptions WHERE tenant_id = ?{extra} ORDER BY id",
            params,
        )

    def subscribed_tenants(self) -> set[str]:
        rows = self._fetch(
            "SELECT DISTINCT tenant_id FROM webhook_subscriptions WHERE active = ?", (True,)
        )
        return {str(r[0]) for r in rows}

    def get_subscription(self, tenant_id: str, sub_id: str) -> WebhookSubscription | None:
        return self._fetch_one_as(
            _sub,
            f"SELECT {SUB_COLS} FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?",
            (tenant_id, sub_id),
        )

    def update_subscription(self, sub: WebhookSubscription) -> bool:
        changed = self._change(
            "UPDATE webhook_subscriptions SET url = ?, event_types = ?, active = ?, "
            "description = ? WHERE tenant_id = ? AND id = ?",
            (
                sub.url,
                dumps(list(sub.event_types)),
                sub.active,
                sub.description,
                sub.tenant_id,
                sub.id,
            ),
        )
        return changed == 1

    def delete_subscription(self, tenant_id: str, sub_id: str) -> bool:
        sql = self._dialect.sql
        with self._write() as conn:
            gone: int = conn.execute(
                sql("DELETE FROM webhook_subscriptions WHERE tenant_id = ? AND id = ?"),
                (tenant_id, sub_id),
            ).rowcount
            if gone:
                conn.execute(
                    sql("DELETE FROM webhook_deliveries WHERE subscription_id = ?"), (sub_id,)
                )
        return gone == 1

    # ------------------------------------------------------------------ deliveries
    def enqueue_deliveries(self, items: Sequence[NewDelivery], now: float) -> int:
        if not items:
            return 0
        sql = self._dialect.sql(
            "INSERT INTO webhook_deliveries (subscription_id, tenant_id, event_id, event_type, "
            "payload, status, attempts, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) "
            "ON CONFLICT (subscription_id, event_id) DO NOTHING"
        )
        added = 0
        with self._write() as conn:
            for d in items:
                added += conn.execute(
                    sql,
                    (
                        d.subscription_id,
                        d.tenant_id,
                        d.event_id,
                        d.event_type,
                        dumps(d.payload),
                        now,
                        now,
                    ),
                ).rowcount
        return added

    def claim_deliveries(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[WebhookDelivery]:
        sql = self._dialect.sql
        free = (
            "status = 'pending' AND next_attempt_at <= ? "
            "AND (lease_until IS NULL OR lease_until < ?)"
        )
        claimed: list[WebhookDelivery] = []
        ids = [  # a read first: an idle worker never opens a write transaction here
            r[0]
            for r in self._fetch(
                f"SELECT id FROM webhook_deliveries WHERE {free} "
                "ORDER BY next_attempt_at, id LIMIT ?",
                (now, now, limit),
            )
        ]
        if not ids:
            return []
        with self._write() as conn:
            for did in ids:
                got = conn.execute(
                    sql(
                        "UPDATE webhook_deliveries SET lease_owner = ?, lease_until = ? "
                        f"WHERE id = ? AND {free}"
                    ),
                    (owner, now + lease_s, did, now, now),
                ).rowcount
                if got:
                    row = conn.execute(
                        sql(f"SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = ?"),
                        (did,),
                    ).fetchone()
                    claimed.append(_delivery(row))
        return claimed

    def _finish_delivery(
        self, owner: str, delivery_id: int, attempt: DeliveryAttempt, now: float
    ) -> bool:
        a = attempt
        delivered = now if a.status == DELIVERY_DELIVERED else None
        changed = self._change(
            "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, "
            "last_status = ?, last_error = ?, delivered_at = ?, lease_owner = NULL, "
            "lease_until = NULL WHERE id = ? AND lease_owner = ?",
            (*astuple(a), delivered, delivery_id, owner),
        )
        return changed == 1

    def list_deliveries(
        self, tenant_id: str, subscription_id: str, limit: int = 100, after_id: int = 0
    ) -> list[WebhookDelivery]:
        return self._fetch_as(
            _delivery,
            f"SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE tenant_id = ? "
            "AND subscription_id = ? AND id > ? ORDER BY id LIMIT ?",
            (tenant_id, subscription_id, after_id, limit),
        )
