"""Events into the engine through the API: each about a contact in the caller's scope, stored
with a dedupe key made unique per tenant (so two tenants' keys never collide and a retried
request is one event)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from leadflow.errors import NotFound
from leadflow.model.records import NewEvent, Scope
from leadflow.store.contract import Store


def dedupe_keys(scope: Scope, given: Sequence[str | None]) -> list[str]:
    """The stored dedupe key of each event: the caller's key inside its tenant's namespace
    (``api:<tenant>:<key>``: tenant ids hold no ':'), or a fresh unique one."""
    batch = uuid.uuid4().hex
    prefix = f"api:{scope.tenant_id}:"
    return [
        f"{prefix}{key}" if key is not None else f"api:~{batch}:{i}" for i, key in enumerate(given)
    ]


def ingest(
    store: Store,
    scope: Scope,
    items: Sequence[tuple[str, str, dict[str, Any], str | None, datetime | None]],
    now: float,
) -> list[int | None]:
    """Store events ``(type, contact_id, data, dedupe_key, occurred_at)`` in one transaction;
    NotFound (nothing stored) naming the first contact outside the scope."""
    found = store.contacts_in_scope(scope, {cid for _, cid, _, _, _ in items})
    for index, (_, cid, _, _, _) in enumerate(items):
        if cid not in found:
            where = f"events[{index}].contact_id" if len(items) > 1 else "contact_id"
            raise NotFound(f"{where}: no contact {cid!r}")
    keys = dedupe_keys(scope, [item[3] for item in items])
    events = [
        NewEvent(etype, cid, data, key, now if at is None else at.timestamp())
        for (etype, cid, data, _, at), key in zip(items, keys, strict=True)
    ]
    return store.append_events(events, now)
