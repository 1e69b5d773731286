"""The predictive score on a tenant's own history, stored on a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from leadflow.errors import InvalidInput, NotFound
from leadflow.model.records import Contact
from leadflow.model.tenancy import Tenant
from leadflow.scoring import models_store
from leadflow.scoring.features import (
    DAY,
    FeatureSpec,
    History,
    build_panel,
    feature_row,
    load_history,
    split_cutoffs,
)
from leadflow.scoring.synthetic import seed_history
from leadflow.scoring.training import retrain_tenant, score_contact
from leadflow.store.contract import Store
from leadflow.store.factory import open_store

END = 1_750_000_000.0
START = END - 500 * DAY


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'scores.db'}", check_schema=False)
    opened.upgrade()
    try:
        yield opened
    finally:
        opened.close()


def test_training_cutoffs_end_their_horizon_before_the_validation_cutoff() -> None:
    train, validation = split_cutoffs(END, horizon_days=90, step_days=30, count=6)
    assert validation == END - 90 * DAY
    assert len(train) == 6 and train == sorted(train)
    assert all(cutoff + 90 * DAY <= validation for cutoff in train)


def test_a_row_ignores_events_after_its_cutoff() -> None:
    spec = FeatureSpec()
    contact = Contact(id="c1", fields={"budget": "$450,000", "pre_approved": "yes"})
    cutoff = END
    before = [(END - 3 * DAY, "listing.viewed"), (END - 40 * DAY, "listing.saved")]
    after = [(END + 1, "listing.viewed"), (END + 5 * DAY, "sms.received")]
    row = dict(zip(spec.names(), feature_row(spec, contact, before, cutoff), strict=True))
    assert row == dict(
        zip(spec.names(), feature_row(spec, contact, sorted(before + after), cutoff), strict=True)
    )
    assert (row["views_7d"], row["views_30d"], row["saves_30d"], row["saves_90d"]) == (1, 1, 0, 1)
    assert row["days_since_activity"] == pytest.approx(3.0)
    assert (row["budget"], row["budget_known"], row["pre_approved"]) == (450_000, 1, 1)
    assert (row["timeline_months"], row["timeline_months_known"]) == (0, 0)


def test_labels_look_only_at_the_horizon_and_converted_leads_drop_out() -> None:
    contacts = {cid: Contact(id=cid, created_at=END - 400 * DAY) for cid in "abc"}
    events = {
        "a": [(END + 10 * DAY, "appointment.booked")],  # within 90 days: 1
        "b": [(END + 100 * DAY, "appointment.booked")],  # after the horizon: 0
        "c": [(END - 1 * DAY, "appointment.booked")],  # already booked: no row
    }
    panel = build_panel(History(contacts, events), FeatureSpec(), [END], "appointment.booked", 90)
    assert panel.contact_ids == ["a", "b"]
    assert panel.y.tolist() == [1.0, 0.0]


def test_retrain_stores_version_1_then_2_and_scores_a_contact(store: Store) -> None:
    booked = seed_history(store, "acme", START, END, leads=400, seed=7)
    assert booked > 40
    history = load_history(store, "acme")
    assert len(history.contacts) == 400

    first = retrain_tenant(store, "acme", END)
    assert first.version == 1
    validation = first.metrics["validation"]
    assert validation["auc"] > 0.7  # the active spell is learnable
    assert validation["brier"] < validation["base_rate_brier"]
    assert set(first.metrics["validation_auc"]) == {"logistic", "boosting"}
    cut = first.metrics["validation_cutoff"]
    assert cut == END - 90 * DAY
    assert all(t + 90 * DAY <= cut for t in first.metrics["training_cutoffs"])
    second = retrain_tenant(store, "acme", END, horizon_days=60)
    assert second.version == 2

    listed = store.list_score_models("acme")
    assert [(m.version, m.horizon_days) for m in listed] == [(1, 90), (2, 60)]
    assert listed[0].feature_names == FeatureSpec().names()
    latest = store.get_score_model("acme")
    assert latest is not None and latest.version == 2
    assert "model=" not in repr(latest)

    scores = [score_contact(store, "acme", cid, END) for cid in sorted(history.contacts)[:60]]
    assert all(0.0 <= s.probability <= 1.0 and s.version == 2 for s in scores)
    assert all(len(s.factors) <= 5 for s in scores)
    assert any(s.factors for s in scores)
    assert len({round(s.probability, 6) for s in scores}) > 5  # not one constant score


def test_a_stored_model_reloads_and_predicts_the_same(store: Store) -> None:
    seed_history(store, "acme", START, END, leads=300, seed=3)
    retrain_tenant(store, "acme", END)
    stored, trained = models_store.load(store, "acme")
    again = models_store.deserialise(stored.model)
    row = np.ones((1, len(stored.feature_names)))
    assert trained.estimator.predict_proba(row)[0, 1] == again.estimator.predict_proba(row)[0, 1]
    assert trained.reference.shape == (len(stored.feature_names),)


def test_too_few_positives_store_nothing(store: Store) -> None:
    seed_history(store, "acme", START, END, leads=300, seed=1, goal="closing.recorded")
    with pytest.raises(InvalidInput, match="too few positives") as caught:
        retrain_tenant(store, "acme", END)  # nobody booked an appointment
    assert "'appointment.booked'" in caught.value.message
    assert store.list_score_models("acme") == []
    assert retrain_tenant(store, "acme", END, goal="closing.recorded").version == 1


def test_bad_requests_are_refused(store: Store) -> None:
    with pytest.raises(NotFound, match="--tenant: no tenant 'ghost'"):
        retrain_tenant(store, "ghost", END)
    store.create_tenant(Tenant("acme", "Acme"), START)
    with pytest.raises(InvalidInput, match="--horizon-days"):
        retrain_tenant(store, "acme", END, horizon_days=0)
    with pytest.raises(NotFound, match="leadflow scoring retrain --tenant acme"):
        score_contact(store, "acme", "anyone", END)
