"""Predictive-score models in every backend: versions per tenant, latest and by number, the
model bytes kept exactly, the tenant foreign key."""

from __future__ import annotations

import pytest

from leadflow.errors import StoreError
from leadflow.model.score_models import NewScoreModel
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support.records import T0


def new(
    tenant: str = "acme", blob: bytes = b"\x80\x05model\x00\xff", **kw: object
) -> NewScoreModel:
    values: dict[str, object] = {
        "algorithm": "logistic",
        "goal": "appointment.booked",
        "horizon_days": 90,
        "metrics": {"validation": {"auc": 0.81, "brier": None}, "training_rows": 120},
        "feature_names": ["views_7d", "budget"],
    }
    values.update(kw)
    return NewScoreModel(tenant_id=tenant, model=blob, **values)  # type: ignore[arg-type]


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def test_versions_count_up_per_tenant(tenants: Store) -> None:
    first = tenants.save_score_model(new(), T0 + 1)
    second = tenants.save_score_model(new(algorithm="boosting", horizon_days=60), T0 + 2)
    other = tenants.save_score_model(new("zeta"), T0 + 3)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert [m.version for m in tenants.list_score_models("acme")] == [1, 2]
    latest = tenants.get_score_model("acme")
    assert latest is not None
    assert (latest.version, latest.algorithm, latest.horizon_days) == (2, "boosting", 60)
    assert latest.created_at == T0 + 2


def test_a_model_round_trips_exactly(tenants: Store) -> None:
    blob = bytes(range(256)) * 40
    tenants.save_score_model(new(blob=blob), T0)
    got = tenants.get_score_model("acme", 1)
    assert got is not None
    assert got.model == blob
    assert got.metrics == {"validation": {"auc": 0.81, "brier": None}, "training_rows": 120}
    assert got.feature_names == ["views_7d", "budget"]
    assert got.goal == "appointment.booked"
    assert "model=" not in repr(got)


def test_missing_models_and_versions_are_none(tenants: Store) -> None:
    assert tenants.get_score_model("acme") is None
    assert tenants.list_score_models("acme") == []
    tenants.save_score_model(new(), T0)
    assert tenants.get_score_model("acme", 2) is None
    assert tenants.get_score_model("zeta") is None


def test_an_unknown_tenant_is_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        store.save_score_model(new("ghost"), T0)
    assert store.list_score_models("ghost") == []
