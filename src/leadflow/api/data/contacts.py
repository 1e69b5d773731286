"""Contacts (leads) as the API reads and writes them."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from leadflow.api.data.shape import Record, Time
from leadflow.api.data.shape import when as when  # also the API's other shapes'

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
CONSENT_STATES = ("opted_in", "opted_out", "unknown")


# The RESO Contact names the CSV import reads (contacts/importer.py), accepted by the API as
# aliases of its own names: a body from a RESO-speaking CRM needs no renaming.
RESO_NAMES = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "phone": "MobilePhone",
    "time_zone": "TimeZone",
    "state": "StateOrProvince",
    "owner": "OwnerMemberKey",
    "stage": "ContactStatus",
}


def _reso(name: str) -> AliasChoices:
    return AliasChoices(name, RESO_NAMES[name])


class ContactFields(BaseModel):
    """The writable attributes of a contact; every one is optional on update. Each may also be
    given by its RESO Contact name (FirstName, LastName, Email, MobilePhone, TimeZone,
    StateOrProvince, OwnerMemberKey, ContactStatus), but not both names at once."""

    model_config = ConfigDict(extra="forbid")

    first_name: Text | None = Field(default=None, validation_alias=_reso("first_name"))
    last_name: Text | None = Field(default=None, validation_alias=_reso("last_name"))
    email: Text | None = Field(
        default=None,
        description="Validated, stored lower-cased.",
        validation_alias=_reso("email"),
    )
    phone: Text | None = Field(
        default=None,
        description="Any common format; stored as E.164 (+15125550123).",
        validation_alias=_reso("phone"),
    )
    time_zone: Text | None = Field(
        default=None,
        description="IANA zone, e.g. America/Chicago.",
        validation_alias=_reso("time_zone"),
    )
    state: Text | None = Field(
        default=None, description="US state, 2 letters.", validation_alias=_reso("state")
    )
    owner: Text | None = Field(
        default=None,
        description="The owning agent's RESO MemberKey.",
        validation_alias=_reso("owner"),
    )
    stage: Text | None = Field(default=None, validation_alias=_reso("stage"))
    tags: list[Text] | None = Field(default=None, max_length=100)
    fields: dict[str, Any] | None = Field(default=None, description="Custom fields.")
    consent: dict[str, str] | None = Field(
        default=None, description="Channel -> opted_in | opted_out | unknown."
    )

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for channel, state in (value or {}).items():
            if state not in CONSENT_STATES:
                raise ValueError(f"{channel}: {state!r} is not one of {', '.join(CONSENT_STATES)}")
        return value


class ContactOut(Record):
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    time_zone: str | None
    state: str | None
    owner: str | None
    stage: str | None
    tags: list[str]
    fields: dict[str, Any]
    consent: dict[str, str]
    created_at: Time
    updated_at: Time


class ContactSaved(ContactOut):
    merged: bool = Field(
        default=False,
        description="True when the new lead matched an existing contact by e-mail or phone "
        "and was merged into it (its id is returned).",
    )
    event_id: int | None = Field(
        default=None,
        description="With `emit`: the id of the event recorded for the lead (the first one's, "
        "when it had been announced before).",
    )
    event_duplicate: bool | None = Field(
        default=None, description="With `emit`: True when the event had been recorded before."
    )


class ContactPage(BaseModel):
    items: list[ContactOut]
    next: str | None = Field(description="Pass as `after` for the next page; null at the end.")


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicate_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=100
    )


class MergeResult(BaseModel):
    contact: ContactOut
    merged_ids: list[str]
    cancelled_runs: int = Field(description="Live runs of the duplicates cancelled.")


class ImportRow(BaseModel):
    line: int
    reason: str


class ImportResult(BaseModel):
    inserted: int
    merged: int
    rejected: list[ImportRow]
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Each CSV header as sent -> the column it was read as (a RESO name, "
        "'<name> (custom field)', or 'custom').",
    )
