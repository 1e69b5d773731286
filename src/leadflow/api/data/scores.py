"""Shapes of the lead score as the API shows it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from leadflow.scoring.config import ScoringConfig
from leadflow.scoring.rules import Score


class FactorOut(BaseModel):
    factor: str = Field(description="What was measured, e.g. listings_saved.")
    component: str = Field(description="behavioural, demographic or engagement.")
    value: Any = Field(description="Decayed event count, or the contact field's value.")
    points: float = Field(description="Contribution to the 0-100 score; these sum to it.")


class ScoreOut(BaseModel):
    contact_id: str
    score: float = Field(ge=0, le=100)
    band: str
    components: dict[str, float] = Field(description="Each component's 0-100 points.")
    weights: dict[str, float] = Field(description="The tenant's normalised component weights.")
    half_life_days: float
    factors: list[FactorOut]
    computed_at: float = Field(description="Epoch seconds the score is computed at.")

    @classmethod
    def of(cls, contact_id: str, score: Score, config: ScoringConfig) -> ScoreOut:
        data = score.as_dict()
        return cls(
            contact_id=contact_id,
            score=data["score"],
            band=data["band"],
            components=data["components"],
            weights=dict(config.weights),
            half_life_days=config.half_life_days,
            factors=[FactorOut(**f) for f in data["factors"]],
            computed_at=score.computed_at,
        )
