"""The predictive probability for the ``score`` node: the tenant's latest trained model applied
to the contact's history up to now. Models are read from the store at most every
``refresh_s`` per tenant (a retrain is picked up within that time); scikit-learn is imported only
when a tenant has a model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadflow.model.records import Contact
from leadflow.store.contract import Store

REFRESH_S = 300.0


@dataclass
class Probabilities:
    store: Store
    refresh_s: float = REFRESH_S
    _models: dict[str, tuple[float, Any]] = field(default_factory=dict)

    def _model(self, tenant_id: str, now: float) -> Any:
        cached = self._models.get(tenant_id)
        if cached is not None and now - cached[0] < self.refresh_s:
            return cached[1]
        stored = self.store.get_score_model(tenant_id)
        model: Any = None
        if stored is not None:
            from leadflow.scoring.models_store import deserialise

            model = (stored, deserialise(stored.model))
        self._models[tenant_id] = (now, model)
        return model

    def of(self, contact: Contact, now: float) -> float | None:
        """The probability of the tenant's goal within its horizon; None without a model (or
        with one trained on other features than today's)."""
        found = self._model(contact.tenant_id, now)
        if found is None:
            return None
        import numpy as np

        from leadflow.scoring.features import FeatureSpec, feature_row
        from leadflow.scoring.predictive import probabilities

        stored, trained = found
        spec = FeatureSpec()
        if spec.names() != stored.feature_names:
            return None
        events = sorted(
            (e.occurred_at, e.type) for e in self.store.list_events(contact.id, limit=100_000)
        )
        row = np.array(feature_row(spec, contact, events, now), dtype=np.float64)
        return round(float(probabilities(trained.estimator, row.reshape(1, -1))[0]), 4)
