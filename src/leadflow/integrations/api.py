"""What a CRM adapter offers (:class:`CrmApi`) and the CRM-neutral shapes that cross it.

Each write is safe to repeat: it either sets a state (upsert, tags, a stage) or is looked for
before it is made (a note or task carries the change's reference, see :func:`ref_of`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from leadflow.clock import from_iso

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "tags")


@dataclass(slots=True)
class RemoteContact:
    """A CRM contact in leadflow's names (``custom``: the CRM's custom fields by key)."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    tags: list[str] = field(default_factory=list)
    stage: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    updated_at: float | None = None

    def value(self, name: str) -> Any:
        if name in CONTACT_FIELDS:
            found = getattr(self, name)
            return sorted(found) if name == "tags" else found
        return self.custom.get(name)


def ref_of(idempotency_key: str) -> str:
    """The short reference a note or task carries so a repeated change finds it."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:12]


def marker(ref: str) -> str:
    return f"[leadflow {ref}]"


def epoch(value: Any) -> float | None:
    """An ISO 8601 time from a CRM answer as epoch seconds (None when absent or unreadable)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return from_iso(value)
    except ValueError:
        return None


class CrmApi(Protocol):
    crm: str

    def upsert_contact(self, values: dict[str, Any], remote_id: str | None) -> str:
        """The CRM id of the contact with these values (created, or found and updated)."""

    def get_contact(self, remote_id: str) -> RemoteContact: ...

    def update_contact(self, remote_id: str, values: dict[str, Any]) -> None: ...

    def add_note(self, remote_id: str, body: str, ref: str) -> str: ...

    def add_tags(self, remote_id: str, tags: list[str]) -> str: ...

    def create_task(
        self, remote_id: str, title: str, body: str | None, due_at: float, ref: str
    ) -> str: ...

    def move_stage(
        self, remote_id: str, stage: str, pipeline_id: str | None, name: str | None
    ) -> str: ...


__all__ = ["CONTACT_FIELDS", "CrmApi", "RemoteContact", "epoch", "marker", "ref_of"]
