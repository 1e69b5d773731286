"""``/api/v1/contacts/{id}/send-times`` (the hours a lead engages most, per channel, with their
uncertainty, and the next best moment the sending rules allow) and
``/api/v1/contacts/{id}/prediction`` (the predictive score and its top factors)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from leadflow.access import send_times as service
from leadflow.api.data.shape import Record, when
from leadflow.api.deps import AccessDep
from leadflow.api.params import ContactId
from leadflow.api.routes import routed

router = APIRouter(prefix="/contacts", tags=["scores"])


class HourOut(Record):
    weekday: str = Field(description="mon ... sun, in the lead's time zone.")
    hour: int = Field(description="0-23, local.")
    rate: float = Field(description="Expected engagement rate (posterior mean).")
    low: float = Field(description="90 % credible interval, lower end.")
    high: float = Field(description="90 % credible interval, upper end.")


class ChannelOut(Record):
    channel: str
    source: str = Field(description="`contact`: its own engagements; `population`: too few yet.")
    engagements: int
    sends: int
    best: list[HourOut]
    next_best_at: datetime | None = Field(
        description="The best moment of the coming week that the quiet hours and windows allow."
    )


class SendTimesOut(BaseModel):
    contact_id: str
    time_zone: str
    channels: list[ChannelOut]


class FactorOut(BaseModel):
    feature: str
    value: float
    contribution: float


class PredictionOut(Record):
    contact_id: str
    probability: float = Field(description="Of reaching the goal within the horizon.")
    goal: str
    horizon_days: int
    version: int = Field(description="The tenant's score model version that computed it.")
    algorithm: str
    factors: list[FactorOut]


@routed(
    router.get,
    "/{contact_id}/send-times",
    "When a lead engages most, per channel, with the uncertainty, and the next best moment",
    404,
)
def get_send_times(
    access: AccessDep,
    contact_id: ContactId,
    channel: Annotated[list[str] | None, Query(max_length=3)] = None,
    top: Annotated[int, Query(ge=1, le=24)] = 3,
) -> SendTimesOut:
    chosen = channel or ["sms", "email"]
    contact, zone, found = service.profile(
        access.runtime, access.scope, contact_id, chosen, access.now(), top
    )
    return SendTimesOut(
        contact_id=contact.id,
        time_zone=zone,
        channels=[ChannelOut.of(r.profile, next_best_at=when(r.next_best_at)) for r in found],
    )


@routed(
    router.get,
    "/{contact_id}/prediction",
    "A lead's probability of the tenant's goal (predictive score) and its top factors",
    404,
)
def get_prediction(
    access: AccessDep, contact_id: ContactId, top: Annotated[int, Query(ge=1, le=20)] = 5
) -> PredictionOut:
    found = service.prediction(access.runtime, access.scope, contact_id, access.now(), top)
    return PredictionOut.of(found, factors=[FactorOut(**f.as_dict()) for f in found.factors])
