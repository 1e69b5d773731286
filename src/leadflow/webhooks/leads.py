"""What every inbound lead becomes (:class:`Lead`), and the generic JSON lead payload.

Pure functions: a payload in, a :class:`Lead` out (or InvalidInput naming the problem). Storing
it is :mod:`leadflow.webhooks.ingest`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadflow.addresses import to_e164
from leadflow.errors import InvalidInput

DEFAULT_REGION = "US"


@dataclass(slots=True)
class Lead:
    """A lead as a contact (e-mail lower-cased, phone E.164) plus the event it raises."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    source: str | None = None
    owner: str | None = None  # MemberKey of the agent who owns the lead
    tags: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    event_type: str = "lead.created"  # lead.created becomes lead.updated for a known contact
    data: dict[str, Any] = field(default_factory=dict)  # the event's data
    ref: str | None = None  # the sender's id of this lead (dedupe of retried webhooks)


def text(value: Any, where: str, limit: int = 2000) -> str | None:
    """A trimmed string (None when empty); InvalidInput for non-strings or long ones."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidInput(f"{where} must be a string")
    value = value.strip()
    if len(value) > limit:
        raise InvalidInput(f"{where} is longer than {limit} characters")
    return value or None


def email_of(value: Any, where: str = "email") -> str | None:
    found = text(value, where, 320)
    if found is None:
        return None
    if "@" not in found or found.startswith("@") or found.endswith("@") or " " in found:
        raise InvalidInput(f"{where} is not an e-mail address")
    return found.lower()


def phone_of(value: Any, where: str = "phone", region: str = DEFAULT_REGION) -> str | None:
    """E.164, or InvalidInput when it is not a valid number."""
    found = text(value, where, 40)
    if found is None:
        return None
    refusals = (f"{where} is not a phone number", f"{where} is not a valid phone number")
    return to_e164(found, region, refusals)


def tags_of(value: Any, where: str = "tags") -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise InvalidInput(f"{where} must be a list of strings")
    return [t.strip() for t in value if t.strip()]


def require_reachable(lead: Lead) -> Lead:
    if lead.email is None and lead.phone is None:
        raise InvalidInput("a lead needs an email or a phone")
    return lead


def from_json(payload: Any, idempotency_key: str | None = None) -> Lead:
    """The generic lead: ``{id?, first_name, last_name, email, phone, source, message, owner,
    tags, fields}``; event ``lead.created`` with the payload as its data."""
    if not isinstance(payload, dict):
        raise InvalidInput("the body must be a JSON object")
    fields = payload.get("fields") or {}
    if not isinstance(fields, dict):
        raise InvalidInput("fields must be an object")
    message = text(payload.get("message"), "message", 10000)
    lead = Lead(
        first_name=text(payload.get("first_name"), "first_name", 200),
        last_name=text(payload.get("last_name"), "last_name", 200),
        email=email_of(payload.get("email")),
        phone=phone_of(payload.get("phone")),
        source=text(payload.get("source"), "source", 200),
        owner=text(payload.get("owner"), "owner", 128),
        tags=tags_of(payload.get("tags")),
        fields=dict(fields),
        data=dict(payload) | ({"message": message} if message else {}),
        ref=text(payload.get("id"), "id", 200) or text(idempotency_key, "Idempotency-Key", 200),
    )
    return require_reachable(lead)
