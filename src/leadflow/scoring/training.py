"""The predictive score on a tenant's own history: retrain a new version, score a contact.

Training rows come from :mod:`leadflow.scoring.features` (split by time); both candidates of
:mod:`leadflow.scoring.predictive` are fitted on the training cutoffs and compared by AUC on the
validation cutoff; the winner's validation measures are stored with it, and the stored estimator
is the winner refitted on every row (training and validation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from leadflow.errors import InvalidInput, NotFound
from leadflow.model.plain import field_values
from leadflow.model.score_models import ScoreModel
from leadflow.scoring import models_store
from leadflow.scoring.defaults import DEFAULT_GOAL, DEFAULT_HORIZON_DAYS, MIN_POSITIVES
from leadflow.scoring.evaluate import measure
from leadflow.scoring.features import (
    FeatureSpec,
    build_panel,
    feature_row,
    load_history,
    split_cutoffs,
)
from leadflow.scoring.predictive import (
    Factor,
    choose_between,
    explain,
    fit,
    probabilities,
)
from leadflow.store.contract import Store


@dataclass(frozen=True, slots=True)
class Retrained:
    """The version just stored."""

    model: ScoreModel

    @property
    def version(self) -> int:
        return self.model.version

    @property
    def algorithm(self) -> str:
        return self.model.algorithm

    @property
    def metrics(self) -> dict[str, Any]:
        return self.model.metrics

    def summary(self) -> dict[str, Any]:
        m = self.model
        return {
            "tenant": m.tenant_id,
            "version": m.version,
            "algorithm": m.algorithm,
            "goal": m.goal,
            "horizon_days": m.horizon_days,
            "created_at": m.created_at,
            "metrics": m.metrics,
            "features": m.feature_names,
        }


def _spec_names(spec: FeatureSpec) -> list[str]:
    return spec.names()


def retrain_tenant(
    store: Store,
    tenant_id: str,
    now: float,
    *,
    goal: str = DEFAULT_GOAL,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    spec: FeatureSpec | None = None,
) -> Retrained:
    """Train on the tenant's history up to ``now`` and store the result as its next version.
    InvalidInput (nothing stored) when the history holds too few goal events to learn from."""
    if horizon_days < 1:
        raise InvalidInput(f"--horizon-days: {horizon_days} must be at least 1")
    if not goal.strip():
        raise InvalidInput("--goal: the goal event type must not be empty")
    if store.get_tenant(tenant_id) is None:
        raise NotFound(f"--tenant: no tenant {tenant_id!r}")
    spec = spec or FeatureSpec()
    history = load_history(store, tenant_id)
    train_cutoffs, val_cutoff = split_cutoffs(now, horizon_days)
    train = build_panel(history, spec, train_cutoffs, goal, horizon_days)
    val = build_panel(history, spec, [val_cutoff], goal, horizon_days)
    pos_train, pos_val = int(train.y.sum()), int(val.y.sum())
    if pos_train < MIN_POSITIVES or pos_val < 1 or len(val.y) - pos_val < 1:
        raise InvalidInput(
            f"too few positives to train on: {pos_train} {goal!r} events within {horizon_days} "
            f"days of the training cutoffs (at least {MIN_POSITIVES} needed) and {pos_val} after "
            "the validation cutoff (at least 1 needed); nothing stored"
        )
    choice = choose_between(train.x, train.y, val.x, val.y)
    base_rate = float(train.y.mean())
    validation = measure(val.y, choice.validation_probabilities[choice.algorithm], base_rate)
    x_all = np.vstack([train.x, val.x])
    y_all = np.concatenate([train.y, val.y])
    trained = models_store.TrainedModel(
        fit(choice.algorithm, x_all, y_all), np.median(x_all, axis=0).astype(np.float64)
    )
    metrics = {
        "validation": validation.as_dict(),
        "validation_auc": {k: (None if v != v else v) for k, v in choice.validation_auc.items()},
        "training_rows": len(train.y),
        "training_positives": pos_train,
        "validation_rows": len(val.y),
        "validation_positives": pos_val,
        "training_cutoffs": train_cutoffs,
        "validation_cutoff": val_cutoff,
    }
    stored = models_store.save(
        store,
        tenant_id,
        trained,
        algorithm=choice.algorithm,
        goal=goal,
        horizon_days=horizon_days,
        metrics=metrics,
        feature_names=_spec_names(spec),
        now=now,
    )
    return Retrained(stored)


@dataclass(frozen=True, slots=True)
class ContactScore:
    """A contact's probability of reaching the goal within the horizon, by model version, with
    the factors that moved it most."""

    contact_id: str
    probability: float
    version: int
    algorithm: str
    goal: str
    horizon_days: int
    factors: list[Factor]

    def as_dict(self) -> dict[str, Any]:
        return {**field_values(self), "factors": [f.as_dict() for f in self.factors]}


def score_contact(
    store: Store,
    tenant_id: str,
    contact_id: str,
    now: float,
    *,
    top: int = 5,
    spec: FeatureSpec | None = None,
) -> ContactScore:
    """Score one contact of the tenant with its latest model, from its history up to ``now``."""
    stored, trained = models_store.load(store, tenant_id)
    spec = spec or FeatureSpec()
    if spec.names() != stored.feature_names:
        raise InvalidInput(
            f"score model version {stored.version} was trained on other features; retrain it"
        )
    contact = store.get_contact(contact_id)
    if contact is None or contact.tenant_id != tenant_id:
        raise NotFound(f"contact {contact_id!r} not found in tenant {tenant_id!r}")
    events = sorted((e.occurred_at, e.type) for e in store.list_events(contact_id, limit=100_000))
    row = np.array(feature_row(spec, contact, events, now), dtype=np.float64)
    probability = float(probabilities(trained.estimator, row.reshape(1, -1))[0])
    factors = explain(
        trained.estimator, stored.algorithm, row, trained.reference, stored.feature_names, top
    )
    return ContactScore(
        contact_id,
        probability,
        stored.version,
        stored.algorithm,
        stored.goal,
        stored.horizon_days,
        factors,
    )


__all__ = [
    "DEFAULT_GOAL",
    "DEFAULT_HORIZON_DAYS",
    "ContactScore",
    "Retrained",
    "retrain_tenant",
    "score_contact",
]
