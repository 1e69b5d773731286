"""Events into the engine through the API: each about a contact in the caller's scope, stored
with a dedupe key made unique per tenant (so two tenants' keys never collide and a retried
request is one event).

:func:`ingest_many` stores the events of several callers in one transaction (group commit):
each caller's events are checked against its own scope, and a caller refused (or, should the
shared transaction fail, one whose own retry fails) gets its own error without touching the
others."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.errors import NotFound
from leadflow.model.records import NewEvent, Scope
from leadflow.model.vocabulary import canonical
from leadflow.store.contract import Store

Item = tuple[str, str, dict[str, Any], str | None, datetime | None]
"""One event as a caller gives it: ``(type, contact_id, data, dedupe_key, occurred_at)``."""

Outcome = list[int | None] | Exception
"""What one caller gets back: the new event ids (None: a duplicate, see :func:`originals`), or
its error."""


@dataclass(frozen=True, slots=True)
class IngestRequest:
    """One caller's events, all or nothing, at ``now`` (the default ``occurred_at``)."""

    scope: Scope
    items: Sequence[Item]
    now: float


def dedupe_keys(scope: Scope, given: Sequence[str | None]) -> list[str]:
    """The stored dedupe key of each event: the caller's key inside its tenant's namespace
    (``api:<tenant>:<key>``: tenant ids hold no ':'), or a fresh unique one."""
    prefix = f"api:{scope.tenant_id}:"
    if all(key is not None for key in given):
        return [f"{prefix}{key}" for key in given]
    batch = uuid.uuid4().hex
    return [
        f"{prefix}{key}" if key is not None else f"api:~{batch}:{i}" for i, key in enumerate(given)
    ]


def ingest(store: Store, scope: Scope, items: Sequence[Item], now: float) -> list[int | None]:
    """Store events ``(type, contact_id, data, dedupe_key, occurred_at)`` in one transaction;
    NotFound (nothing stored) naming the first contact outside the scope."""
    (outcome,) = ingest_many(store, [IngestRequest(scope, items, now)])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def ingest_many(store: Store, requests: Sequence[IngestRequest]) -> list[Outcome]:
    """The outcome of each request, in order: the events of every request whose contacts are
    all in its scope are stored together in one transaction (first come first: a dedupe key
    given twice is a duplicate the second time, as in separate transactions); a request with a
    contact outside its scope gets NotFound and stores nothing. Should the shared transaction
    fail, each request is stored in a transaction of its own, so one cannot fail another."""
    found = _contacts_found(store, requests)
    outcomes: list[Outcome] = []
    accepted: list[tuple[int, list[NewEvent]]] = []
    for index, request in enumerate(requests):
        missing = _first_missing(request.items, found[request.scope])
        if missing is not None:
            outcomes.append(missing)
            continue
        outcomes.append([])
        accepted.append((index, _new_events(request)))
    if not accepted:
        return outcomes
    now = max(requests[index].now for index, _ in accepted)
    try:
        ids = store.append_events([e for _, events in accepted for e in events], now)
    except Exception as exc:
        if len(accepted) == 1:
            outcomes[accepted[0][0]] = exc
            return outcomes
        for index, events in accepted:
            outcomes[index] = _append_alone(store, events, requests[index].now)
        return outcomes
    start = 0
    for index, events in accepted:
        outcomes[index] = ids[start : start + len(events)]
        start += len(events)
    return outcomes


def originals(
    store: Store, scope: Scope, items: Sequence[Item], ids: Sequence[int | None]
) -> list[tuple[int | None, bool]]:
    """Each event's id and whether it was a duplicate: a duplicate answers with the id of the
    event stored earlier under the same dedupe key (inside the caller's tenant, one read, made
    only when there are duplicates); None only if that event was pruned in the meantime."""
    wanted = [
        key
        for item, eid in zip(items, ids, strict=True)
        if eid is None and (key := item[3]) is not None
    ]
    if not wanted:
        return [(eid, eid is None) for eid in ids]
    found = store.event_ids_by_dedupe(dedupe_keys(scope, wanted))
    prefix = f"api:{scope.tenant_id}:"
    return [
        (eid, False) if eid is not None else (found.get(f"{prefix}{item[3]}"), True)
        for item, eid in zip(items, ids, strict=True)
    ]


def _contacts_found(store: Store, requests: Sequence[IngestRequest]) -> dict[Scope, set[str]]:
    """For each scope among ``requests``, which of their contacts it holds (one read each)."""
    wanted: dict[Scope, set[str]] = {}
    for request in requests:
        wanted.setdefault(request.scope, set()).update(cid for _, cid, _, _, _ in request.items)
    return {scope: store.contacts_in_scope(scope, ids) for scope, ids in wanted.items()}


def _first_missing(items: Sequence[Item], found: set[str]) -> NotFound | None:
    for index, (_, cid, _, _, _) in enumerate(items):
        if cid not in found:
            where = f"events[{index}].contact_id" if len(items) > 1 else "contact_id"
            return NotFound(f"{where}: no contact {cid!r}")
    return None


def _new_events(request: IngestRequest) -> list[NewEvent]:
    keys = dedupe_keys(request.scope, [item[3] for item in request.items])
    now = request.now
    return [
        NewEvent(canonical(etype), cid, data, key, now if at is None else at.timestamp())
        for (etype, cid, data, _, at), key in zip(request.items, keys, strict=True)
    ]


def _append_alone(store: Store, events: list[NewEvent], now: float) -> Outcome:
    try:
        return store.append_events(events, now)
    except Exception as exc:
        return exc
