"""Predictive-score models, one version list per tenant."""

from __future__ import annotations

import abc

from leadflow.model.score_models import NewScoreModel, ScoreModel


class ScoreModelStore(abc.ABC):
    """The predictive-score models methods of the store contract."""

    @abc.abstractmethod
    def save_score_model(self, new: NewScoreModel, now: float) -> ScoreModel:
        """Store a trained model as its tenant's next version (1, 2, ...) created at ``now``.
        StoreError when the tenant does not exist."""

    @abc.abstractmethod
    def get_score_model(self, tenant_id: str, version: int | None = None) -> ScoreModel | None:
        """That version of the tenant's model, or its latest when ``version`` is None."""

    @abc.abstractmethod
    def list_score_models(self, tenant_id: str) -> list[ScoreModel]:
        """The tenant's models by version."""


__all__ = ["ScoreModelStore"]
