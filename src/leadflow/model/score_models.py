"""A trained predictive-score model as stored: one per (tenant, version), versions 1, 2, ..."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class NewScoreModel:
    """What training produced; the store gives it the next version of its tenant."""

    tenant_id: str
    algorithm: str
    goal: str
    horizon_days: int
    metrics: dict[str, Any]
    feature_names: list[str]
    model: bytes = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreModel(NewScoreModel):
    """A stored model: what training produced, with its version and when it was stored.
    ``model`` is the pickled estimator written by leadflow's own training."""

    version: int
    created_at: float


__all__ = ["NewScoreModel", "ScoreModel"]
