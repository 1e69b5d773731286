"""Events as the API takes them in (one, or a batch of up to 10,000) and shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from leadflow.api.data.shape import Record, Time

MAX_BATCH = 10_000
EventType = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$"),
]


def _integral(value: Any) -> Any:
    """JSON integers only (``7`` or ``7.0``, as JSON Schema counts them): not ``"7"``, not
    ``true``, not ``7.5``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer id")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be an integer id")
        return int(value)
    return value


# Ids stay far below 2**53 - 1: every integer up to it is exact as a double, so every client
# (JavaScript too) reads an id and the published maximum alike; the columns take 2**63 - 1.
API_MAX_ID = 2**53 - 1
RowId = Annotated[int, Field(ge=1, le=API_MAX_ID), BeforeValidator(_integral)]


class EventData(BaseModel):
    """Free-form event data; the ids the engine looks up must be ids (a positive integer that
    fits 64 bits), and name something of the event's contact (else they are ignored, which the
    event's ``ignored`` says)."""

    model_config = ConfigDict(extra="allow")

    message_id: RowId | None = Field(
        default=None, description="A message sent to this contact (delivered, opened, replied...)."
    )
    run_id: RowId | None = Field(default=None, description="A run of this contact.")

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: EventType = Field(description="e.g. form.submitted, appointment.booked, sms.received.")
    contact_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    data: EventData = Field(default_factory=EventData)
    dedupe_key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="The same key twice is one event (a retried request stores nothing new). "
        "Keys are per tenant.",
    )
    occurred_at: datetime | None = Field(default=None, description="Default: now.")


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class Accepted(BaseModel):
    id: int | None = Field(
        description="The stored event's id; for a duplicate, the id of the event stored earlier "
        "with the same dedupe key (null only if that event has since been pruned)."
    )
    duplicate: bool = Field(description="True when the dedupe key was already taken.")


class BatchAccepted(BaseModel):
    accepted: int = Field(description="New events stored.")
    duplicates: int = Field(description="Events whose dedupe key was already taken.")
    ids: list[int | None] = Field(
        description="Per event in order: its id; for a duplicate, the id of the event stored "
        "earlier with the same dedupe key (null only if that event has since been pruned)."
    )
    duplicate: list[bool] = Field(description="Per event in order: whether it was a duplicate.")


class EventOut(Record):
    id: int
    type: str
    contact_id: str | None
    data: dict[str, Any]
    occurred_at: Time
    processed_at: Time
    status: Literal["pending", "processed", "failed"] = Field(
        description="failed: the event could not be processed and was set aside (see error)."
    )
    error: str | None = Field(description="Why the event could not be processed (failed).")
    ignored: str | None = Field(
        description="What of its data was ignored, and why (e.g. an id naming another "
        "contact's message); the rest was processed."
    )


class EventPage(BaseModel):
    items: list[EventOut]
    next: int | None
