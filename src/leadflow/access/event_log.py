"""The event log as a caller sees it: events listed about the leads in its scope, and one event
recorded by hand (the command line's ``events emit``). Events arriving through the API are
:mod:`leadflow.access.events`."""

from __future__ import annotations

from typing import Any

from leadflow.access.scope import visible_contact
from leadflow.engine.event_refs import ID_FIELDS
from leadflow.errors import InvalidInput
from leadflow.model.records import Event, NewEvent, Scope
from leadflow.model.vocabulary import canonical
from leadflow.safe_input import id_problem
from leadflow.store.contract import Store


def find(
    store: Store,
    scope: Scope | None,
    contact_id: str | None,
    limit: int,
    *,
    after_id: int = 0,
    type: str | None = None,
    status: str | None = None,
) -> list[Event]:
    """Events by id above ``after_id`` (of one contact, type or status when given) about the
    scope's leads; with None (the operator of the installation, on the command line) every
    stored event."""
    return store.list_events(
        contact_id, limit, 0, scope=scope, after_id=after_id, type=type, status=status
    )


def emit(
    store: Store,
    scope: Scope,
    event: tuple[str, str, dict[str, Any]],
    dedupe_key: str,
    now: float,
) -> tuple[int | None, bool]:
    """Store one event ``(type, contact_id, data)`` about a lead of the scope under
    ``dedupe_key`` as given (the operator's own keys, outside the API's per-tenant namespace),
    its type in the event vocabulary (an alias mapped); its id and False, or, when the key was
    taken, the id of the event holding it and True. The ids the engine looks up in event data
    must be valid (``data.<field>: <problem>``); a contact outside the scope is NotFound."""
    etype, contact_id, data = event
    for field in ID_FIELDS:
        problem = id_problem(data[field]) if data.get(field) is not None else None
        if problem is not None:
            raise InvalidInput(f"data.{field}: {problem}")
    visible_contact(store, scope, contact_id)
    new = NewEvent(canonical(etype), contact_id, data, dedupe_key, now)
    (event_id,) = store.append_events([new], now)
    if event_id is not None:
        return event_id, False
    return store.event_ids_by_dedupe([dedupe_key]).get(dedupe_key), True


__all__ = ["emit", "find"]
