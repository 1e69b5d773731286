"""``/api/v1/agents/{member_key}/profile``: an agent's working hours, urgent-task consent,
availability for new leads, and the areas and lead sources it takes (used by ``notify_agent``
and ``assign_owner``). An agent reads and sets its own, a manager its team's, an admin any."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from leadflow.access import agent_profiles as service
from leadflow.access import booking
from leadflow.api.deps import AccessDep
from leadflow.api.routes import routed
from leadflow.model.playbooks import AgentProfile

router = APIRouter(prefix="/agents", tags=["agents"])
Member = Annotated[str, Path(min_length=1, max_length=64)]


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    time_zone: str = Field(default="America/New_York", max_length=64)
    hours_start: str = Field(default="09:00", max_length=5, description="HH:MM")
    hours_end: str = Field(default="18:00", max_length=5, description="HH:MM")
    weekdays: list[str] = Field(default=["mon", "tue", "wed", "thu", "fri"], max_length=7)
    urgent_after_hours: bool = False
    available: bool = True
    areas: list[str] = Field(default_factory=list, max_length=200)
    sources: list[str] = Field(default_factory=list, max_length=200)


class ProfileOut(ProfileIn):
    member_key: str


def _out(p: AgentProfile) -> ProfileOut:
    return ProfileOut.model_validate(p, from_attributes=True)


@routed(router.get, "/{member_key}/profile", "An agent's profile", 404)
def get_profile(access: AccessDep, member_key: Member) -> ProfileOut:
    return _out(service.get_profile(access.runtime.store, access.principal, member_key))


@routed(router.put, "/{member_key}/profile", "Set an agent's profile", 404)
def put_profile(access: AccessDep, member_key: Member, body: ProfileIn) -> ProfileOut:
    profile = AgentProfile(access.principal.tenant_id, member_key, **body.model_dump())
    saved = service.set_profile(access.runtime.store, access.principal, profile, access.now())
    return _out(saved)


class BookingLinks(BaseModel):
    feed: str = Field(description="Path of the agent's private calendar feed (ICS).")
    book: str | None = Field(default=None, description="Path of the booking page for the lead.")


@routed(
    router.get,
    "/{member_key}/booking-links",
    "An agent's booking page link for a lead, and its private calendar feed",
    404,
)
def booking_links(
    access: AccessDep,
    member_key: Member,
    contact_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> BookingLinks:
    found = booking.issue_links(
        access.runtime, access.principal, member_key, contact_id, access.now()
    )
    return BookingLinks(**found)
