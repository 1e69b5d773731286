"""A split with an experiment as a user sees it: contacts spread by the planned weights, each
keeps its arm (re-entry, changed weights, an applied winner), the holdout arm sends nothing, and
the experiment is stored as soon as the workflow is published (CLI and API), reconfigured when
the published split changes."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import chisquare
from typer.testing import CliRunner

from leadflow.api.app import create_app
from leadflow.cli.app import app as cli
from leadflow.definitions.validation import validate
from leadflow.engine.workflows import publish
from leadflow.errors import WorkflowInvalid
from leadflow.model.experiments import APPLIED, RUNNING
from leadflow.model.records import (
    RunStatus,
)
from leadflow.settings import Settings
from leadflow.store import Store, open_store
from support.api_client import ApiClient, admin_key
from support.engine_kit import DAY, T0, Kit


def trial(weights: tuple[float, float, float] = (2, 1, 1), **experiment: Any) -> dict[str, Any]:
    """Arms a (SMS "A"), b (SMS "B") and a holdout that ends the run; re-entry allowed."""
    block: dict[str, Any] = {
        "metric": {"event": "appointment.booked", "within": "14d"},
        "decide": "auto_apply",
        "review_every": "1d",
    }
    block.update(experiment)
    a, b, hold = weights
    return {
        "key": "trial",
        "name": "Trial",
        "start": "pick",
        "settings": {"reentry": {"policy": "always"}},
        "nodes": [
            {
                "id": "pick",
                "kind": "split",
                "arms": [
                    {"name": "a", "weight": a, "next": "sms_a"},
                    {"name": "b", "weight": b, "next": "sms_b"},
                    {"name": "hold", "weight": hold, "holdout": True},
                ],
                "experiment": block,
            },
            {"id": "sms_a", "kind": "send_sms", "body": "A"},
            {"id": "sms_b", "kind": "send_sms", "body": "B"},
        ],
    }


def arms_of(kit: Kit, cids: list[str]) -> dict[str, str]:
    """Each contact's arm in its latest run, as the run's context remembers it."""
    out: dict[str, str] = {}
    for cid in cids:
        run = kit.runs("trial", cid)[0]
        out[cid] = run.context["steps"]["pick"]["arm"]
    return out


def set_experiment(store: Store, **changes: Any) -> None:
    current = store.get_experiment("default", "trial.pick")
    assert current is not None
    assert store.save_experiment(dataclasses.replace(current, **changes), current.revision)


def test_contacts_spread_by_the_planned_weights(kit: Kit) -> None:
    kit.publish(trial())
    cids = kit.add_contacts(1000)
    kit.enroll("trial", *cids)
    kit.settle()
    arms = arms_of(kit, cids)
    counts = Counter(arms.values())
    observed = [counts["a"], counts["b"], counts["hold"]]
    assert sum(observed) == 1000
    assert chisquare(observed, [500, 250, 250]).pvalue > 0.001  # no sample-ratio mismatch
    stored = kit.store.experiment_assignments("default", "trial.pick")
    assert {a.contact_id: a.arm for a in stored} == arms
    experiment = kit.store.get_experiment("default", "trial.pick")
    assert experiment is not None
    assert experiment.weights == {"a": 0.5, "b": 0.25, "hold": 0.25}
    assert experiment.next_review_at == T0 + DAY
    bodies = Counter(m.body for m in kit.messages())
    assert bodies == {"A": counts["a"], "B": counts["b"]}


def test_reentry_keeps_the_arm_after_the_weights_change(kit: Kit) -> None:
    kit.publish(trial())
    cids = kit.add_contacts(40)
    kit.enroll("trial", *cids)
    kit.settle()
    first = arms_of(kit, cids)
    assert set(first.values()) == {"a", "b", "hold"}
    set_experiment(kit.store, weights={"a": 0.0, "b": 0.75, "hold": 0.25})
    kit.clock.set(T0 + 3600)
    kit.enroll("trial", *cids)
    newcomers = kit.add_contacts(60, prefix="n")
    kit.enroll("trial", *newcomers)
    kit.settle()
    assert all(len(kit.runs("trial", cid)) == 2 for cid in cids)
    assert arms_of(kit, cids) == first  # sticky, although arm a gets nobody new
    fresh = Counter(arms_of(kit, newcomers).values())
    assert fresh["a"] == 0 and fresh["b"] > 0 and fresh["hold"] > 0


def test_an_applied_winner_takes_new_entrants_only(kit: Kit) -> None:
    kit.publish(trial())
    old = kit.add_contacts(30)
    kit.enroll("trial", *old)
    kit.settle()
    before = arms_of(kit, old)
    set_experiment(kit.store, status=APPLIED, winner="b")
    kit.clock.set(T0 + 3600)
    new = kit.add_contacts(400, prefix="n")
    kit.enroll("trial", *new, *old)
    kit.settle()
    fresh = Counter(arms_of(kit, new).values())
    # every new entrant goes to the winner but for the holdout's planned quarter, which goes on
    # measuring the workflow after the roll-out; arm a gets nobody new
    assert set(fresh) == {"b", "hold"}
    assert chisquare([fresh["b"], fresh["hold"]], [300, 100]).pvalue > 0.001
    assert arms_of(kit, old) == before


def test_the_holdout_arm_ends_the_run_and_sends_nothing(kit: Kit) -> None:
    kit.publish(trial(weights=(1, 1, 8)))
    cids = kit.add_contacts(20)
    kit.enroll("trial", *cids)
    kit.settle()
    held = [cid for cid, arm in arms_of(kit, cids).items() if arm == "hold"]
    assert held
    for cid in held:
        (run,) = kit.runs("trial", cid)
        assert run.status == RunStatus.COMPLETED
        assert kit.outcomes(run.id) == [("pick", "arm:hold")]
        assert kit.messages(contact_id=cid) == []


def test_a_split_without_experiment_is_unchanged(kit: Kit) -> None:
    plain = trial()
    node = plain["nodes"][0]
    del node["experiment"]
    node["arms"][2] = {"name": "hold", "weight": 1, "next": "sms_b"}
    kit.publish(plain)
    cids = kit.add_contacts(50)
    kit.enroll("trial", *cids)
    kit.settle()
    assert len(set(arms_of(kit, cids).values())) == 3
    assert kit.store.list_experiments() == []


# ---------------------------------------------------------------------- publishing
def _upgraded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'lf.db'}"
    store = open_store(url, check_schema=False)
    store.upgrade()
    store.close()
    return url


def _cli_publish(tmp_path: Path, url: str, definition: dict[str, Any]) -> None:
    path = tmp_path / "trial.json"
    path.write_text(json.dumps(definition))
    result = CliRunner().invoke(cli, ["workflows", "publish", str(path), "--db", url])
    assert result.exit_code == 0, result.output


def test_cli_publish_stores_the_experiment_and_a_change_reconfigures_it(tmp_path: Path) -> None:
    url = _upgraded(tmp_path)
    _cli_publish(tmp_path, url, trial(control="b"))
    store = open_store(url)
    try:
        found = store.get_experiment("default", "trial.pick")
        assert found is not None
        assert (found.status, found.revision, found.workflow_key) == (RUNNING, 0, "trial")
        assert found.weights == {"a": 0.5, "b": 0.25, "hold": 0.25}
        assert found.config["control"] == "b"
        assert found.config["arms"][2] == {"name": "hold", "weight": 1.0, "holdout": True}
        assert store.experiment_decisions("default", "trial.pick") == []
    finally:
        store.close()

    _cli_publish(tmp_path, url, trial(control="b"))  # the same again: left alone
    _cli_publish(tmp_path, url, trial(weights=(1, 1, 1), control="b"))
    store = open_store(url)
    try:
        changed = store.get_experiment("default", "trial.pick")
        assert changed is not None and changed.revision == 1
        assert changed.weights == pytest.approx({"a": 1 / 3, "b": 1 / 3, "hold": 1 / 3})
        (decision,) = store.experiment_decisions("default", "trial.pick")
        assert decision.action == "reconfigured"
        assert decision.weights_before == {"a": 0.5, "b": 0.25, "hold": 0.25}
        assert decision.numbers["old_config"]["arms"][0]["weight"] == 2.0
        assert decision.numbers["new_config"]["arms"][0]["weight"] == 1.0
    finally:
        store.close()


def test_reconfiguring_resets_an_applied_winner(kit: Kit) -> None:
    kit.publish(trial())
    kit.enroll("trial", *kit.add_contacts(5))
    kit.settle()
    set_experiment(kit.store, status=APPLIED, winner="a", weights={"a": 1.0, "b": 0.0})
    kit.clock.set(T0 + DAY)
    kit.publish(trial(metric={"event": "appointment.booked", "within": "7d"}))
    kit.enroll("trial", *kit.add_contacts(5, prefix="n"))
    kit.settle()
    found = kit.store.get_experiment("default", "trial.pick")
    assert found is not None
    assert (found.status, found.winner) == (RUNNING, None)
    assert found.weights == {"a": 0.5, "b": 0.25, "hold": 0.25}
    assert found.config["metric"]["within"] == "7d"
    actions = [d.action for d in kit.store.experiment_decisions("default", "trial.pick")]
    assert actions == ["reconfigured"]


def test_api_publish_stores_the_experiment_of_the_tenant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = _upgraded(tmp_path)
    token = admin_key(url, "acme")
    definition = trial(key="acme-trial")
    headers = {"Authorization": f"Bearer {token}"}
    with ApiClient(create_app(Settings(db=url)), headers=headers) as client:
        response = client.post("/api/v1/workflows/trial/publish", json=definition)
        assert response.status_code == 201, response.text  # a version was created
    store = open_store(url)
    try:
        found = store.get_experiment("acme", "acme-trial")
        assert found is not None
        assert (found.workflow_key, found.node_id) == ("trial", "pick")
        assert store.get_experiment("default", "trial.pick") is None
    finally:
        store.close()


# ---------------------------------------------------------------------- validation
def test_a_bad_experiment_block_names_the_field(kit: Kit) -> None:
    bad = trial(control="nobody")
    report = validate(bad)
    assert any(e.startswith("nodes[0](pick).experiment.control:") for e in report.errors)
    holdout_control = trial(control="hold")
    assert any(
        e.startswith("nodes[0](pick).experiment.control:") for e in validate(holdout_control).errors
    )
    window = copy.deepcopy(trial())
    window["nodes"][0]["experiment"]["metric"]["within"] = "400d"
    assert any("nodes[0](pick).experiment.metric.within" in e for e in validate(window).errors)
    with pytest.raises(WorkflowInvalid):
        publish(kit.store, kit.runtime.engine.catalog, bad, kit.now)
    assert kit.store.get_workflow("default", "trial") is None
    assert kit.store.list_experiments() == []


def test_a_run_on_an_older_version_does_not_undo_a_republish(kit: Kit) -> None:
    def waiting(weights: tuple[float, float, float]) -> dict[str, Any]:
        definition = trial(weights)
        definition["start"] = "pause"
        pause = {"id": "pause", "kind": "wait", "duration": "1h", "next": "pick"}
        definition["nodes"].insert(0, pause)
        return definition

    registry = kit.runtime.engine.registry  # its publish hooks sync the experiments
    catalog = kit.runtime.engine.catalog
    publish(kit.store, catalog, waiting((2, 1, 1)), kit.now, registry)
    old = kit.add_contacts(20)
    kit.enroll("trial", *old)
    kit.settle()  # waiting at pause, on version 1
    publish(kit.store, catalog, waiting((1, 1, 1)), kit.now, registry)
    kit.run_until(T0 + 2 * 3600)
    assert all(run.version == 1 and run.status == RunStatus.COMPLETED for run in kit.runs("trial"))
    found = kit.store.get_experiment("default", "trial.pick")
    assert found is not None
    assert found.config["arms"][0]["weight"] == 1.0  # still what version 2 says
    actions = [d.action for d in kit.store.experiment_decisions("default", "trial.pick")]
    assert actions == ["reconfigured"]
    assert len(kit.store.experiment_assignments("default", "trial.pick")) == 20
