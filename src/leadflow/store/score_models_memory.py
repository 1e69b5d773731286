"""Predictive-score models in the memory backend (tenant foreign key enforced like SQL)."""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING

from leadflow.errors import StoreError
from leadflow.model.score_models import NewScoreModel, ScoreModel
from leadflow.model.tenancy import Agent, ApiKey, Team, Tenant


class MemoryScoreModels:
    if TYPE_CHECKING:
        _lock: threading.Lock

        def _tenancy(
            self,
        ) -> tuple[
            dict[str, Tenant],
            dict[tuple[str, str], Team],
            dict[tuple[str, str], Agent],
            dict[str, ApiKey],
        ]: ...

    def _score_models(self) -> dict[str, list[ScoreModel]]:
        found = self.__dict__.get("_score_models_data")
        if found is None:
            found = self.__dict__.setdefault("_score_models_data", {})
        return found  # type: ignore[no-any-return]

    def save_score_model(self, new: NewScoreModel, now: float) -> ScoreModel:
        with self._lock:
            if new.tenant_id not in self._tenancy()[0]:
                raise StoreError("FOREIGN KEY constraint failed: score_models.tenant_id")
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
