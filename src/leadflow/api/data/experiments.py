"""Experiments as the API shows them: the list, the report with its decisions, a decision.

The report is the one :func:`leadflow.experiments.report.build_report` computes (the CLI's
``leadflow experiments report KEY --json`` prints the same numbers); times are UTC date-times,
each decision keeps the ``numbers`` it was taken on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from leadflow.access.experiments import summary_of
from leadflow.api.data.shape import Record, Second
from leadflow.api.data.workflows import when
from leadflow.experiments.report import (
    ExperimentReport,
    HoldoutReport,
)
from leadflow.model.experiments import Experiment


def _when(ts: float | None) -> datetime | None:
    return None if ts is None else when(ts)


class AnalysisOut(Record):
    """An arm against the control: a relative lift for the metric, a difference of rates for
    a guardrail (see ``difference``)."""

    difference: str = Field(description="relative (a lift: 0.25 = +25%) or absolute (rates).")
    effect: float | None = Field(description="The lift, or the difference of the rates.")
    ci_low: float | None = Field(description="Lower end of the interval of the effect.")
    ci_high: float | None = Field(description="Upper end of the interval of the effect.")
    p_value: float | None = Field(
        default=None, description="Frequentist or always-valid (sequential) p-value."
    )
    chance_to_win: float | None = Field(
        default=None, description="Bayesian: probability the arm beats the control."
    )
    risk: float | None = Field(
        default=None, description="Bayesian: expected loss of choosing the arm."
    )
    significant: bool = Field(description="The effect is significant at the experiment's alpha.")
    error: str | None = Field(
        default=None, description="Why there is no effect yet (an empty arm, no conversions)."
    )


class GuardrailOut(Record):
    name: str = Field(description="The guardrail metric, e.g. opt_out.")
    conversions: int = Field(description="Contacts of the arm the guardrail event happened to.")
    rate: float | None = Field(description="conversions / contacts of the arm.")
    analysis: AnalysisOut | None = Field(description="Against the control (none for it).")
    failed: bool = Field(description="Significantly worse than the control: blocks a roll-out.")
    exact_p_value: float | None = Field(
        default=None,
        description="One-sided Fisher exact test, when the analysis has no answer (a control "
        "without a single guardrail event).",
    )


class ArmOut(Record):
    name: str
    holdout: bool = Field(description="Held out of the treatment; never wins.")
    weight: float = Field(description="Share of new entrants the arm gets now.")
    planned_weight: float = Field(description="The weight as published.")
    contacts: int = Field(description="Contacts assigned to the arm.")
    conversions: int = Field(description="Of them, those who converted within the window.")
    rate: float | None = Field(description="conversions / contacts.")
    analysis: AnalysisOut | None = Field(description="Against the control (none for it).")
    guardrails: list[GuardrailOut]


class DecisionOut(Record):
    id: int
    decided_at: Second
    action: str = Field(
        description="keep, apply_winner, reallocate, blocked_srm, blocked_guardrail, stop or "
        "manual_apply."
    )
    reason: str
    weights_before: dict[str, float]
    weights_after: dict[str, float]
    winner: str | None
    numbers: dict[str, Any] = Field(description="The report the decision was taken on.")


class DecisionList(BaseModel):
    items: list[DecisionOut] = Field(description="Oldest first.")


class ReviewOut(BaseModel):
    decision: DecisionOut | None = Field(
        description="What the review decided; none when the experiment decides manually, is "
        "applied or stopped, or another reviewer decided first."
    )


class ApplyIn(BaseModel):
    arm: str = Field(min_length=1, max_length=64, description="The arm every new entrant gets.")


class ExperimentSummary(BaseModel):
    key: str
    workflow_key: str
    node_id: str
    decide: str = Field(description="manual, auto_apply or bandit.")
    method: str = Field(description="sequential, frequentist or bayesian.")
    status: str = Field(description="running, applied or stopped.")
    winner: str | None
    weights: dict[str, float] = Field(description="Share of new entrants each arm gets now.")
    contacts: int = Field(description="Contacts assigned so far.")
    next_review_at: datetime | None
    updated_at: datetime


class ExperimentList(BaseModel):
    items: list[ExperimentSummary]


class HoldoutOut(Record):
    """Every treated arm pooled against the holdout arm: what the experiment as a whole adds."""

    arm: str = Field(description="The holdout arm.")
    treated_contacts: int
    treated_conversions: int
    treated_rate: float | None
    holdout_contacts: int
    holdout_conversions: int
    holdout_rate: float | None
    analysis: AnalysisOut | None = Field(description="Treated against the holdout.")


class ReportOut(ExperimentSummary):
    control: str = Field(description="The arm the others are compared against.")
    metric: str = Field(description="What converts a contact.")
    window_s: float = Field(description="Seconds after assignment a conversion counts.")
    cuped: bool = Field(description="Variance reduced with the pre-period (CUPED).")
    alpha: float
    min_sample: int
    arms: list[ArmOut]
    srm_p_value: float | None = Field(
        description="Sample-ratio check: below 0.001 the split is broken and nothing is "
        "decided; none once applied or stopped."
    )
    srm_since: datetime | None = Field(description="Assignments counted by the check since.")
    srm_counts: dict[str, int] = Field(description="Contacts per weighted arm since then.")
    holdout: HoldoutOut | None
    decisions: list[DecisionOut] = Field(description="Oldest first.")
    computed_at: datetime


def summary(experiment: Experiment, contacts: int) -> ExperimentSummary:
    fields = summary_of(experiment, contacts)
    fields["next_review_at"] = _when(experiment.next_review_at)
    return ExperimentSummary(**fields, updated_at=when(experiment.updated_at))


def _holdout(found: HoldoutReport | None) -> HoldoutOut | None:
    if found is None:
        return None
    return HoldoutOut.of(found, treated_contacts=found.treated_n, holdout_contacts=found.holdout_n)


def report_out(report: ExperimentReport) -> ReportOut:
    exp, spec = report.experiment, report.spec
    arms = [ArmOut.of(arm, contacts=arm.n) for arm in report.arms]
    base = summary(exp, sum(a.contacts for a in arms))
    return ReportOut(
        **base.model_dump(),
        control=report.control,
        metric=spec.metric.label(),
        window_s=spec.metric.window_s(),
        cuped=spec.pre_period is not None,
        alpha=spec.alpha,
        min_sample=spec.min_sample,
        arms=arms,
        srm_p_value=report.srm_p_value,
        srm_since=_when(report.srm_since),
        srm_counts=dict(report.srm_counts),
        holdout=_holdout(report.holdout),
        decisions=[DecisionOut.of(d) for d in report.decisions],
        computed_at=when(report.computed_at),
    )
