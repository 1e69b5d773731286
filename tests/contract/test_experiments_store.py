"""Experiments in every backend: create vs replace by revision, due reviews in order, sticky
assignments (also under a race between two connections), decisions written together with the
experiment or not at all, JSON kept exactly, the tenant foreign key, and outcome events."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from leadflow.errors import StoreError
from leadflow.model.experiments import (
    APPLIED,
    RUNNING,
    STOPPED,
    Assignment,
    Experiment,
    ExperimentDecision,
)
from leadflow.model.tenancy import Tenant
from leadflow.store import Store, open_store
from support.records import DAY, T0, add_contacts, event
from support.stores import sqlite_url
from support.threads import at_once

CONFIG: dict[str, Any] = {
    "metric": {"event": "appointment.booked", "window_days": 14},
    "arms": [
        {"name": "sms", "weight": 0.45, "holdout": False},
        {"name": "email", "weight": 0.45, "holdout": False},
        {"name": "none", "weight": 0.1, "holdout": True},
    ],
    "control": "sms",
    "alpha": 0.05,
    "guardrails": [],
    "min_sample": None,
}


def experiment(key: str = "nurture.pick", tenant: str = "acme", **kw: Any) -> Experiment:
    values: dict[str, Any] = {
        "workflow_key": "nurture",
        "node_id": "pick",
        "config": CONFIG,
        "weights": {"sms": 0.45, "email": 0.45, "none": 0.1},
        "created_at": T0,
        "updated_at": T0,
        "next_review_at": T0 + DAY,
    }
    values.update(kw)
    return Experiment(tenant_id=tenant, key=key, **values)


def decision(key: str = "nurture.pick", **kw: Any) -> ExperimentDecision:
    values: dict[str, Any] = {
        "decided_at": T0 + DAY,
        "action": "apply_winner",
        "reason": "email beats sms",
        "weights_before": {"sms": 0.45, "email": 0.45, "none": 0.1},
        "weights_after": {"sms": 0.0, "email": 0.9, "none": 0.1},
        "winner": "email",
        "numbers": {"arms": {"sms": {"n": 120, "rate": 0.05}}, "srm_p": 0.62, "ci": [0.01, 0.09]},
    }
    values.update(kw)
    return ExperimentDecision(tenant_id="acme", experiment_key=key, **values)


def assignment(contact: str, arm: str, *, at: float = T0, key: str = "nurture.pick") -> Assignment:
    return Assignment("acme", key, contact, arm, at, run_id=7)


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def test_create_only_when_absent(tenants: Store) -> None:
    assert tenants.save_experiment(experiment(revision=9), None) is True
    assert tenants.save_experiment(experiment(status=STOPPED), None) is False
    got = tenants.get_experiment("acme", "nurture.pick")
    assert got is not None
    assert (got.revision, got.status) == (0, RUNNING)  # the stored revision, not the given one
    assert tenants.get_experiment("zeta", "nurture.pick") is None
    assert tenants.get_experiment("acme", "other") is None


def test_replace_needs_the_revision_it_read(tenants: Store) -> None:
    tenants.save_experiment(experiment(), None)
    changed = experiment(weights={"sms": 0.2, "email": 0.7, "none": 0.1}, updated_at=T0 + 5)
    assert tenants.save_experiment(changed, 0) is True
    assert tenants.save_experiment(experiment(status=STOPPED), 0) is False  # revision moved on
    assert tenants.save_experiment(experiment(), 5) is False
    assert tenants.save_experiment(experiment("absent"), 0) is False
    got = tenants.get_experiment("acme", "nurture.pick")
    assert got is not None
    assert got.revision == 1
    assert got.weights == {"sms": 0.2, "email": 0.7, "none": 0.1}
    assert (got.status, got.updated_at) == (RUNNING, T0 + 5)
    assert tenants.save_experiment(dataclasses.replace(got, status=APPLIED, winner="email"), 1)
    final = tenants.get_experiment("acme", "nurture.pick")
    assert final is not None
    assert (final.revision, final.status, final.winner) == (2, APPLIED, "email")


def test_config_and_weights_round_trip(tenants: Store) -> None:
    config = {**CONFIG, "note": "é – ünïcode", "nested": {"a": [1, 2.5, None, True]}}
    tenants.save_experiment(experiment(config=config, next_review_at=None), None)
    got = tenants.get_experiment("acme", "nurture.pick")
    assert got is not None
    assert got.config == config
    assert got.weights == {"sms": 0.45, "email": 0.45, "none": 0.1}
    assert got.next_review_at is None
    assert (got.workflow_key, got.node_id, got.created_at) == ("nurture", "pick", T0)


def test_list_by_tenant_then_key(tenants: Store) -> None:
    for tenant, key in [("zeta", "b"), ("acme", "b"), ("acme", "B"), ("acme", "a")]:
        tenants.save_experiment(experiment(key, tenant), None)
    everyone = [(e.tenant_id, e.key) for e in tenants.list_experiments()]
    assert everyone == [("acme", "B"), ("acme", "a"), ("acme", "b"), ("zeta", "b")]
    assert [e.key for e in tenants.list_experiments("zeta")] == ["b"]
    assert tenants.list_experiments("nobody") == []


def test_due_experiments_are_running_ones_in_review_order(tenants: Store) -> None:
    tenants.save_experiment(experiment("late", next_review_at=T0 + 300), None)
    tenants.save_experiment(experiment("early", "zeta", next_review_at=T0 + 100), None)
    tenants.save_experiment(experiment("tie", "acme", next_review_at=T0 + 100), None)
    tenants.save_experiment(experiment("manual", next_review_at=None), None)
    tenants.save_experiment(experiment("future", next_review_at=T0 + 1000), None)
    tenants.save_experiment(experiment("done", status=APPLIED, next_review_at=T0), None)
    tenants.save_experiment(experiment("halt", status=STOPPED, next_review_at=T0), None)
    due = [(e.tenant_id, e.key) for e in tenants.due_experiments(T0 + 300)]
    assert due == [("acme", "tie"), ("zeta", "early"), ("acme", "late")]
    assert tenants.due_experiments(T0 + 99) == []


def test_assignment_is_sticky(tenants: Store) -> None:
    first = tenants.assign_arm(assignment("c1", "email", at=T0 + 2))
    assert first == assignment("c1", "email", at=T0 + 2)
    again = tenants.assign_arm(assignment("c1", "sms", at=T0 + 50))
    assert (again.arm, again.assigned_at) == ("email", T0 + 2)
    tenants.assign_arm(assignment("c0", "sms", at=T0 + 2))
    tenants.assign_arm(assignment("c2", "none", at=T0 + 1))
    other = tenants.assign_arm(assignment("c1", "sms", key="other.split"))
    assert other.arm == "sms"  # each experiment has its own assignment
    stored = tenants.get_assignment("acme", "nurture.pick", "c1")
    assert stored is not None and stored.arm == "email" and stored.run_id == 7
    assert tenants.get_assignment("acme", "nurture.pick", "c9") is None
    listed = tenants.experiment_assignments("acme", "nurture.pick")
    assert [(a.contact_id, a.arm) for a in listed] == [
        ("c2", "none"),
        ("c0", "sms"),
        ("c1", "email"),
    ]
    assert tenants.experiment_assignments("zeta", "nurture.pick") == []


def test_a_decision_is_written_with_its_experiment(tenants: Store) -> None:
    tenants.save_experiment(experiment(), None)
    after = {"sms": 0.0, "email": 0.9, "none": 0.1}
    applied = experiment(status=APPLIED, winner="email", weights=after)
    stored = tenants.record_decision(decision(), applied, 0)
    assert stored is not None
    assert stored.id >= 1
    assert dataclasses.replace(stored, id=0) == decision()
    got = tenants.get_experiment("acme", "nurture.pick")
    assert got is not None
    assert (got.revision, got.status, got.winner) == (1, APPLIED, "email")
    second = tenants.record_decision(decision(action="stop", winner=None), applied, 1)
    assert second is not None and second.id > stored.id
    found = tenants.experiment_decisions("acme", "nurture.pick")
    assert [d.action for d in found] == ["apply_winner", "stop"]
    assert found[0] == stored
    assert found[0].numbers == {
        "arms": {"sms": {"n": 120, "rate": 0.05}},
        "srm_p": 0.62,
        "ci": [0.01, 0.09],
    }
    assert tenants.experiment_decisions("acme", "other") == []


def test_a_conflicting_decision_writes_nothing(tenants: Store) -> None:
    tenants.save_experiment(experiment(), None)
    tenants.save_experiment(experiment(weights={"sms": 0.5, "email": 0.5, "none": 0.0}), 0)
    late = experiment(status=APPLIED, winner="sms")
    assert tenants.record_decision(decision(winner="sms"), late, 0) is None
    got = tenants.get_experiment("acme", "nurture.pick")
    assert got is not None
    assert (got.revision, got.status, got.winner) == (1, RUNNING, None)
    assert tenants.experiment_decisions("acme", "nurture.pick") == []
    assert tenants.record_decision(decision("missing"), experiment("missing"), 0) is None
    assert tenants.experiment_decisions("acme", "missing") == []


def test_unknown_tenant_is_refused(tenants: Store) -> None:
    with pytest.raises(StoreError):
        tenants.save_experiment(experiment(tenant="ghost"), None)
    with pytest.raises(StoreError):
        tenants.save_experiment(experiment(tenant="ghost"), 0)
    with pytest.raises(StoreError):
        tenants.assign_arm(Assignment("ghost", "nurture.pick", "c1", "sms", T0))
    assert tenants.list_experiments() == []
    assert tenants.get_assignment("ghost", "nurture.pick", "c1") is None


def test_contact_events_filter_and_order(tenants: Store) -> None:
    add_contacts(tenants, "c1", "c2", "c3")
    tenants.append_events(
        [
            event("appointment.booked", "c2", "e1", at=T0 + 30),
            event("appointment.booked", "c1", "e2", at=T0 + 20),
            event("sms.replied", "c1", "e3", at=T0 + 10),
            event("appointment.booked", "c1", "e4", at=T0 + 5),
            event("appointment.booked", "c3", "e5", at=T0 + 40),  # contact not asked for
            event("email.opened", "c2", "e6", at=T0 + 50),  # type not asked for
            event("appointment.booked", "c2", "e7", at=T0 - 1),  # before since
            event("appointment.booked", None, "e8", at=T0 + 60),
        ],
        T0,
    )
    found = tenants.contact_events(["c2", "c1", "c9"], ["appointment.booked", "sms.replied"], T0)
    assert [(e.contact_id, e.type, e.occurred_at) for e in found] == [
        ("c1", "appointment.booked", T0 + 5),
        ("c1", "sms.replied", T0 + 10),
        ("c1", "appointment.booked", T0 + 20),
        ("c2", "appointment.booked", T0 + 30),
    ]
    assert found[0].dedupe_key == "e4"
    assert len(tenants.contact_events(["c2"], ["appointment.booked"])) == 2  # since 0: all
    assert tenants.contact_events([], ["appointment.booked"]) == []
    assert tenants.contact_events(["c1"], []) == []


def test_contact_events_reads_more_contacts_than_one_query_takes(tenants: Store) -> None:
    ids = [f"c{i:04d}" for i in range(1203)]
    add_contacts(tenants, *ids)
    tenants.append_events(
        [event("appointment.booked", cid, f"e-{cid}", at=T0 + i) for i, cid in enumerate(ids)],
        T0,
    )
    found = tenants.contact_events(reversed(ids), ["appointment.booked"], T0)
    assert [e.contact_id for e in found] == ids


def test_two_connections_racing_to_assign_get_one_arm(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "race.db")
    fresh = open_store(url, check_schema=False)
    fresh.upgrade()
    fresh.create_tenant(Tenant("acme", "Acme Realty"), T0)
    fresh.close()
    stores = [open_store(url), open_store(url)]
    contacts = [f"c{i}" for i in range(200)]
    got: list[dict[str, str]] = [{}, {}]

    def assign(index: int) -> None:
        arm = ["a", "b"][index]
        for cid in contacts:
            got[index][cid] = stores[index].assign_arm(assignment(cid, arm)).arm

    assert at_once(assign, 2) == []
    assert got[0] == got[1]  # both writers were handed the same arm for every contact
    stored = {a.contact_id: a.arm for a in stores[0].experiment_assignments("acme", "nurture.pick")}
    assert stored == got[0]
    assert set(stored.values()) <= {"a", "b"} and len(stored) == 200
    for s in stores:
        s.close()
