"""A message template rendered for a lead the caller may see (or a sample lead), as the worker
would render it: the designer's live preview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.access.scope import visible_contact
from leadflow.definitions.templates import render
from leadflow.engine.localtime import zone
from leadflow.errors import InvalidInput, PermanentStepError
from leadflow.model.records import Contact, Scope
from leadflow.store.contract import Store

SAMPLE = Contact(
    "c_sample",
    first_name="Alex",
    last_name="Rivera",
    email="alex.rivera@example.com",
    phone="+15125550142",
    time_zone="America/Chicago",
    state="TX",
    stage="new",
    tags=["buyer"],
    fields={"city": "Austin", "budget": 450000},
    consent={"sms": "opted_in", "email": "opted_in"},
)


@dataclass(frozen=True, slots=True)
class Preview:
    text: str
    contact_id: str
    sample: bool


def preview(
    store: Store, scope: Scope, template: str, contact_id: str | None, now: float
) -> Preview:
    """``template`` rendered for ``contact_id`` (in the caller's scope, else 404) or the sample
    lead; a template the worker could not render is a 422 naming the problem."""
    contact = SAMPLE if contact_id is None else visible_contact(store, scope, contact_id)
    variables: dict[str, Any] = {
        "contact": contact.as_dict(),
        "event": {},
        "context": {},
        "steps": {},
        "workflow": {"key": "preview", "name": "Preview", "version": 0},
        "run": {"id": 0, "created_at": now},
        "agent": {"id": contact.owner},
        "now": datetime.fromtimestamp(now, zone(contact.time_zone)),
    }
    try:
        text = render(template, variables)
    except PermanentStepError as exc:
        raise InvalidInput(f"template: {exc}") from exc
    return Preview(text, contact.id, contact_id is None)


__all__ = ["SAMPLE", "Preview", "preview"]
