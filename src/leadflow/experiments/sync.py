"""The stored experiment follows the published split: created the first time, reconfigured (with
a "reconfigured" decision on record) when the published arms, weights or experiment block change.

Called right after a workflow is published (:func:`published_hook`) and, lazily, the first time a
contact enters a split whose experiment is missing or out of date. Concurrent callers are safe:
every write names the revision it read, and a loser reads again."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from leadflow.definitions.experiment_model import control_arm
from leadflow.definitions.models import Split, WorkflowDefinition
from leadflow.errors import InvalidInput, StoreError
from leadflow.model.experiments import RUNNING, Experiment, ExperimentDecision
from leadflow.model.records import DEFAULT_TENANT, WorkflowVersion
from leadflow.model.tenancy import Tenant
from leadflow.store.contract import Store

RECONFIGURED = "reconfigured"
_ATTEMPTS = 5  # re-reads after losing a race before giving up


def experiment_key(workflow_key: str, node: Split) -> str:
    """The experiment's name: ``experiment.key`` or ``<workflow key>.<node id>``."""
    spec = node.experiment
    return spec.key if spec is not None and spec.key else f"{workflow_key}.{node.id}"


def planned_weights(node: Split) -> dict[str, float]:
    """The arms' published weights, normalised to sum 1."""
    total = sum(arm.weight for arm in node.arms)
    return {arm.name: arm.weight / total for arm in node.arms}


def experiment_config(node: Split) -> dict[str, Any]:
    """What is stored as the experiment's config: the block as published plus its arms and the
    control arm in force (the first treated arm when none is named)."""
    if node.experiment is None:
        raise InvalidInput(f"split {node.id!r} has no experiment block")
    config: dict[str, Any] = node.experiment.model_dump(mode="json")
    config["arms"] = [
        {"name": arm.name, "weight": arm.weight, "holdout": arm.holdout} for arm in node.arms
    ]
    config["control"] = control_arm(node)
    return config


def experiment_splits(definition: WorkflowDefinition) -> list[Split]:
    """The definition's split nodes that are experiments."""
    return [n for n in definition.nodes if isinstance(n, Split) and n.experiment is not None]


def _next_review(node: Split, now: float) -> float | None:
    spec = node.experiment
    if spec is None or spec.decide == "manual":
        return None
    return now + spec.review_every_s()


def _ensure_tenant(store: Store, tenant_id: str, key: str, now: float) -> None:
    """Experiments belong to a stored tenant. The implicit tenant of a single-tenant install
    (``default``) is made on first use; any other must have been created."""
    if store.get_tenant(tenant_id) is not None:
        return
    if tenant_id != DEFAULT_TENANT:
        raise InvalidInput(
            f"experiment {key!r}: tenant {tenant_id!r} does not exist "
            f"(create it with `leadflow tenants create {tenant_id}`)"
        )
    try:
        store.create_tenant(Tenant(DEFAULT_TENANT, "Default"), now)
    except StoreError:
        if store.get_tenant(tenant_id) is None:  # not a lost race: a real failure
            raise


def sync_experiment(
    store: Store, tenant_id: str, workflow_key: str, node: Split, now: float
) -> Experiment:
    """The stored experiment of ``node``, created or reconfigured to match it when needed."""
    key = experiment_key(workflow_key, node)
    config = experiment_config(node)
    planned = planned_weights(node)
    review = _next_review(node, now)
    for _ in range(_ATTEMPTS):
        current = store.get_experiment(tenant_id, key)
        if current is None:
            _ensure_tenant(store, tenant_id, key, now)
            fresh = Experiment(
                tenant_id, key, workflow_key, node.id, config, planned, RUNNING, None, 0, now, now
            )
            fresh = dataclasses.replace(fresh, next_review_at=review)
            if store.save_experiment(fresh, None):
                return fresh
            continue  # created meanwhile: compare with that one
        if current.config == config:
            return current
        changed = dataclasses.replace(
            current,
            workflow_key=workflow_key,
            node_id=node.id,
            config=config,
            weights=planned,
            status=RUNNING,
            winner=None,
            updated_at=now,
            next_review_at=review,
        )
        decision = ExperimentDecision(
            tenant_id=tenant_id,
            experiment_key=key,
            decided_at=now,
            action=RECONFIGURED,
            reason="the published split changed; weights reset to the planned ones",
            weights_before=dict(current.weights),
            weights_after=dict(planned),
            numbers={"old_config": current.config, "new_config": config},
        )
        if store.record_decision(decision, changed, current.revision) is not None:
            return dataclasses.replace(changed, revision=current.revision + 1)
    raise StoreError(f"experiment {key!r} kept changing while it was being synced; try again")


def sync_definition(
    store: Store, tenant_id: str, definition: WorkflowDefinition, now: float
) -> list[Experiment]:
    """Sync every experiment split of a definition."""
    return [
        sync_experiment(store, tenant_id, definition.key, node, now)
        for node in experiment_splits(definition)
    ]


def published_hook(store: Store) -> Callable[[WorkflowVersion, WorkflowDefinition, float], None]:
    """What publishing calls once a version is stored: its experiments are synced at once."""

    def on_published(version: WorkflowVersion, definition: WorkflowDefinition, now: float) -> None:
        sync_definition(store, version.tenant_id, definition, now)

    return on_published


__all__ = [
    "RECONFIGURED",
    "experiment_config",
    "experiment_key",
    "experiment_splits",
    "planned_weights",
    "published_hook",
    "sync_definition",
    "sync_experiment",
]
