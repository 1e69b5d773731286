"""Trained models kept per tenant and version.

The estimator is stored pickled. Unpickling runs code chosen by whoever wrote the bytes, so
leadflow only ever loads the blobs its own training wrote into its own database (the
``score_models`` table); there is no command or endpoint that imports a model from outside.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from leadflow.errors import InvalidInput, NotFound
from leadflow.model.score_models import NewScoreModel, ScoreModel
from leadflow.store.contract_score_models import ScoreModelStore

FloatArray = npt.NDArray[np.float64]
FORMAT = 1


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """A fitted estimator and the typical (median) training value of each feature, which the
    boosting explanation compares against."""

    estimator: Any
    reference: FloatArray


def serialise(trained: TrainedModel) -> bytes:
    payload = {"format": FORMAT, "estimator": trained.estimator, "reference": trained.reference}
    return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)


def deserialise(blob: bytes) -> TrainedModel:
    """The model leadflow stored (see the module docstring: only its own blobs are loaded)."""
    payload = pickle.loads(blob)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InvalidInput("stored score model: unknown format; retrain the tenant's model")
    return TrainedModel(payload["estimator"], np.asarray(payload["reference"], dtype=np.float64))


def save(
    store: ScoreModelStore,
    tenant_id: str,
    trained: TrainedModel,
    *,
    algorithm: str,
    goal: str,
    horizon_days: int,
    metrics: dict[str, Any],
    feature_names: list[str],
    now: float,
) -> ScoreModel:
    """Store ``trained`` as the tenant's next version."""
    new = NewScoreModel(
        tenant_id=tenant_id,
        algorithm=algorithm,
        goal=goal,
        horizon_days=horizon_days,
        metrics=metrics,
        feature_names=feature_names,
        model=serialise(trained),
    )
    return store.save_score_model(new, now)


def load(
    store: ScoreModelStore, tenant_id: str, version: int | None = None
) -> tuple[ScoreModel, TrainedModel]:
    """The tenant's latest model (or that version); NotFound naming the command that makes one."""
    stored = store.get_score_model(tenant_id, version)
    if stored is None:
        which = "no trained score model" if version is None else f"no score model version {version}"
        raise NotFound(
            f"tenant {tenant_id!r} has {which}; train one with "
            f"`leadflow scoring retrain --tenant {tenant_id}`"
        )
    return stored, deserialise(stored.model)


__all__ = ["TrainedModel", "deserialise", "load", "save", "serialise"]
