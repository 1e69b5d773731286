"""Events into the engine through the API: each about a contact in the caller's scope, stored
with a dedupe key made unique per tenant (so two tenants' keys never collide and a retried
request is one event)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from leadflow.errors import NotFound
from leadflow.store.contract import Store
from leadflow.store.records import NewEvent, Scope


def dedupe_key(scope: Scope, given: str | None) -> str:
    if given is None:
        return f"api:{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{scope.tenant_id}\x00{given}".encode()).hexdigest()[:32]
    return f"api:{digest}"


def ingest(
    store: Store,
    scope: Scope,
    items: Sequence[tuple[str, str, dict[str, Any], str | None, datetime | None]],
    now: float,
) -> list[int | None]:
    """Store events ``(type, contact_id, data, dedupe_key, occurred_at)`` in one transaction;
    NotFound (nothing stored) naming the first contact outside the scope."""
    wanted = {cid for _, cid, _, _, _ in items}
    found = store.get_contacts(wanted)
    for index, (_, cid, _, _, _) in enumerate(items):
        if not scope.allows(found.get(cid)):
            where = f"events[{index}].contact_id" if len(items) > 1 else "contact_id"
            raise NotFound(f"{where}: no contact {cid!r}")
    events = [
        NewEvent(
            etype,
            cid,
            data,
            dedupe_key(scope, key),
            now if at is None else at.timestamp(),
        )
        for etype, cid, data, key, at in items
    ]
    return store.append_events(events, now)
