"""A contact's consent as the API reads and writes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from leadflow.access.consent import ConsentRecord
from leadflow.api.data.contacts import when


class ConsentIn(BaseModel):
    """Consent given or withdrawn outside a text: a web form, an agent, an import."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["sms", "email", "voice", "whatsapp"]
    state: Literal["opted_in", "opted_out"]
    source: str = Field(
        min_length=1, max_length=100, description='Where it came from: "web_form", "agent"...'
    )
    evidence: str | None = Field(
        default=None,
        max_length=2000,
        description="What the lead agreed to, e.g. the checkbox wording; required to opt a "
        "channel back in after an opt-out.",
    )
    at: AwareDatetime | None = Field(
        default=None, description="When it was given (with its UTC offset); default now."
    )


class ConsentEntry(BaseModel):
    channel: str
    state: str
    source: str | None
    at: datetime | None
    evidence: str | None
    event_id: int | None = None
    by: str | None = None

    @classmethod
    def of(cls, entry: dict[str, Any]) -> ConsentEntry:
        at = entry.get("at")
        event_id = entry.get("event_id")
        return cls(
            channel=str(entry.get("channel")),
            state=str(entry.get("state")),
            source=_text(entry.get("source")),
            at=when(float(at)) if isinstance(at, int | float) else None,
            evidence=_text(entry.get("evidence")),
            event_id=event_id if isinstance(event_id, int) else None,
            by=_text(entry.get("by")),
        )


class ConsentOut(BaseModel):
    contact_id: str
    consent: dict[str, str] = Field(description="Channel -> opted_in | opted_out | unknown.")
    history: list[ConsentEntry]

    @classmethod
    def of(cls, found: ConsentRecord) -> ConsentOut:
        return cls(
            contact_id=found.contact_id,
            consent=found.state,
            history=[ConsentEntry.of(h) for h in found.history],
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
