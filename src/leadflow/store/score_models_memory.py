"""Predictive-score models in the memory backend (tenant foreign key enforced like SQL)."""

from __future__ import annotations

import copy

from leadflow.model.score_models import NewScoreModel, ScoreModel
from leadflow.store.contract_score_models import ScoreModelStore
from leadflow.store.parts import MemoryPart


class MemoryScoreModels(MemoryPart, ScoreModelStore):
    def _score_models(self) -> dict[str, list[ScoreModel]]:
        return self._table("_score_models_data", dict)

    def save_score_model(self, new: NewScoreModel, now: float) -> ScoreModel:
        with self._lock:
            self._need_tenant(new.tenant_id, "score_models.tenant_id")
            versions = self._score_models().setdefault(new.tenant_id, [])
            stored = ScoreModel(
                tenant_id=new.tenant_id,
                version=len(versions) + 1,
                created_at=now,
                algorithm=new.algorithm,
                goal=new.goal,
                horizon_days=new.horizon_days,
                metrics=copy.deepcopy(new.metrics),
                feature_names=list(new.feature_names),
                model=bytes(new.model),
            )
            versions.append(stored)
            return stored

    def get_score_model(self, tenant_id: str, version: int | None = None) -> ScoreModel | None:
        with self._lock:
            versions = self._score_models().get(tenant_id, [])
            if not versions:
                return None
            if version is None:
                return copy.deepcopy(versions[-1])
            return copy.deepcopy(versions[version - 1]) if 1 <= version <= len(versions) else None

    def list_score_models(self, tenant_id: str) -> list[ScoreModel]:
        with self._lock:
            return copy.deepcopy(self._score_models().get(tenant_id, []))


__all__ = ["MemoryScoreModels"]
