"""The ``split`` node with an experiment: each contact's arm is chosen once and stored.

The first time a contact enters, the arm comes from a stable hash of (experiment key, contact)
over the experiment's current weights (once a winner is applied: the winner, but for the
holdout's planned share) and is stored with
``Store.assign_arm``; from then on the stored arm is used, whatever the weights say later, so
re-entry and a step executed again keep the arm. Two workers assigning the same contact at once
get the arm stored first. A split without an experiment is today's fixed random cohort.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from leadflow.definitions import models as m
from leadflow.engine.context import Go, Result, StepContext
from leadflow.engine.handlers import SplitHandler, split_bucket
from leadflow.errors import InvalidInput, NotFound, PermanentStepError
from leadflow.experiments.sync import experiment_config, experiment_key, sync_experiment
from leadflow.model.experiments import APPLIED, Assignment, Experiment
from leadflow.store.contract import Store

Share = tuple[m.SplitArm, float]  # an arm and its share of new entrants


def _is_latest(ctx: StepContext) -> bool:
    """Whether the run is on the workflow's latest version: only that one may reconfigure the
    experiment (a run still on an older version must not undo what was published since)."""
    try:
        latest = ctx.catalog.latest(ctx.workflow.tenant_id, ctx.workflow.key)
        return latest.version == ctx.workflow.version
    except NotFound:  # unpublished meanwhile: leave the stored experiment alone
        return False


def allocation(
    experiment: Experiment, arms: Sequence[m.SplitArm]
) -> list[tuple[m.SplitArm, float]]:
    """Each arm's share of new entrants now: the experiment's current weights for the treated
    arms, scaled to what the holdout leaves, the holdout at its planned share. Arms the weights
    leave at 0 (or do not name) are never chosen; the planned weights are used when nothing is
    left to choose from."""
    planned = {arm.name: arm.weight for arm in arms}
    total_planned = sum(planned.values())
    held = sum(arm.weight for arm in arms if arm.holdout) / total_planned
    treated = {
        arm.name: max(0.0, float(experiment.weights.get(arm.name, 0.0)))
        for arm in arms
        if not arm.holdout
    }
    treated_total = sum(treated.values())
    if treated_total <= 0:
        return [(arm, arm.weight / total_planned) for arm in arms]
    out: list[Share] = []
    for arm in arms:
        if arm.holdout:
            out.append((arm, arm.weight / total_planned))
        elif treated[arm.name] > 0:
            out.append((arm, (1.0 - held) * treated[arm.name] / treated_total))
    return out


def choose(shares: Sequence[Share], point: float) -> m.SplitArm:
    """The arm whose slice of [0, total) holds ``point`` (in [0, 1), scaled here)."""
    usable = [(arm, share) for arm, share in shares if share > 0]
    left = point * sum(share for _, share in usable)
    for arm, share in usable:
        if left < share:
            return arm
        left -= share
    return usable[-1][0]


class ExperimentSplitHandler(SplitHandler):
    """The ``split`` kind when a store is at hand: experiments get sticky, stored arms."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # (workflow key, version, node id) -> the node's experiment config (published versions
        # never change, so this is computed once per node, not per contact)
        self._configs: dict[tuple[str, int, str], dict[str, Any]] = {}

    def _config(self, ctx: StepContext, node: m.Split) -> dict[str, Any]:
        ident = (ctx.workflow.key, ctx.workflow.version, node.id)
        found = self._configs.get(ident)
        if found is None:
            found = self._configs[ident] = experiment_config(node)
        return found

    def enter(self, ctx: StepContext, node: m.Split) -> Result:
        if node.experiment is None:
            return super().enter(ctx, node)
        tenant, contact_id = ctx.workflow.tenant_id, ctx.run.contact_id
        key = experiment_key(ctx.workflow.key, node)
        by_name = {arm.name: arm for arm in node.arms}
        stored = self.store.get_assignment(tenant, key, contact_id)
        if stored is None:
            experiment = self._experiment(ctx, node, key)
            arm = self._new_arm(experiment, node, key, contact_id)
            stored = self.store.assign_arm(
                Assignment(tenant, key, contact_id, arm.name, ctx.now, ctx.run.id)
            )
        chosen = by_name.get(stored.arm)
        if chosen is None:
            raise PermanentStepError(
                f"split {node.id!r}: contact {contact_id!r} is in arm {stored.arm!r} of "
                f"experiment {key!r}, which this version of the split does not have"
            )
        ctx.remember(node.id, arm=chosen.name, experiment=key)
        return Go(chosen.next, outcome=f"arm:{chosen.name}")

    def _experiment(self, ctx: StepContext, node: m.Split, key: str) -> Experiment:
        """The stored experiment, synced with this node when missing (or out of date while the
        run is on the latest version)."""
        tenant = ctx.workflow.tenant_id
        found = self.store.get_experiment(tenant, key)
        if found is not None and (found.config == self._config(ctx, node) or not _is_latest(ctx)):
            return found
        try:
            return sync_experiment(self.store, tenant, ctx.workflow.key, node, ctx.now)
        except InvalidInput as exc:
            raise PermanentStepError(f"split {node.id!r}: {exc.message}") from exc

    @staticmethod
    def _new_arm(experiment: Experiment, node: m.Split, key: str, contact_id: str) -> m.SplitArm:
        by_name = {arm.name: arm for arm in node.arms}
        if experiment.status == APPLIED and experiment.winner in by_name:
            # every new entrant to the winner, except the holdout's planned share: a holdout
            # goes on measuring what the whole workflow is worth after the roll-out
            experiment = replace(experiment, weights={experiment.winner: 1.0})
        return choose(allocation(experiment, node.arms), split_bucket(key, contact_id))


__all__ = ["ExperimentSplitHandler", "allocation", "choose"]
