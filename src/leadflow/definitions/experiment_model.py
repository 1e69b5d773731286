"""The ``experiment`` block of a ``split`` node: what the split is judged on and how it decides.

A split with this block is an experiment: each contact's arm is stored the first time it enters
(sticky, so re-entry keeps the arm even after the weights change), the metric is a goal event
within a window after assignment (or a node-level outcome such as ``replied``), guardrail metrics
are watched alongside, and a decision mode says what happens when the numbers are in:

- ``manual``: nothing changes by itself; ``leadflow experiments report`` shows the numbers;
- ``auto_apply``: the winner gets every new entrant once it is significant, each arm has
  ``min_sample`` contacts and the sample-ratio check passes;
- ``bandit``: top-two Thompson sampling reallocates the weights of the non-holdout arms at each
  review (the likely best arm ``bandit_beta`` of them, its likely challenger the rest), never
  below ``weight_floor``, and not before every arm has ``min_sample`` contacts.

``auto_apply`` also waits for ``min_conversions`` in every arm: with few conversions the normal
approximation behind every method runs short, and a lift's interval is too narrow on the low side.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from leadflow.definitions.durations import DAY, parse_duration
from leadflow.definitions.model_base import DefinitionModel
from leadflow.model.vocabulary import canonical

ExperimentKey = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
]
Outcome = Literal["replied", "clicked", "opened", "delivered"]
Method = Literal["sequential", "frequentist", "bayesian"]
DecisionMode = Literal["manual", "auto_apply", "bandit"]

# Node-level outcomes and the event types that make them (a contact converts on any of them).
OUTCOME_EVENTS: dict[str, tuple[str, ...]] = {
    "replied": ("sms.received", "email.received", "email.replied"),
    "clicked": ("email.clicked",),
    "opened": ("email.opened",),
    "delivered": ("sms.delivered", "email.delivered"),
}
OPT_OUT_EVENTS = ("sms.opted_out", "email.unsubscribed", "email.spam_reported")
# The bandit's leader share: top-two sampling at 0.5 gives two arms half each whatever the data,
# so the product leans on the leader while still sending a fifth to the challenger.
DEFAULT_BANDIT_BETA = 0.8


def _duration_of_at_most(days: int) -> AfterValidator:
    """A duration text ("14d", "12h"...) longer than zero and at most ``days`` days."""

    def check(value: str) -> str:
        seconds = parse_duration(value)  # says what is wrong (malformed, negative...)
        if seconds <= 0:
            raise ValueError(f"{value!r} must be longer than zero")
        if seconds > days * DAY:
            raise ValueError(f"{value!r} is longer than {days} days")
        return value

    return AfterValidator(check)


YearDuration = Annotated[str, _duration_of_at_most(365)]
MonthDuration = Annotated[str, _duration_of_at_most(30)]


class ExperimentMetric(DefinitionModel):
    """A contact converts when one of ``event`` (or the ``outcome``'s events) happens to them
    within ``within`` after their assignment."""

    name: str | None = Field(default=None, max_length=64, description="Label in reports.")
    event: str | list[str] | None = Field(
        default=None, description="Event type(s), e.g. appointment.booked."
    )
    outcome: Outcome | None = Field(default=None, description="A node-level outcome instead.")

    @field_validator("event")
    @classmethod
    def _vocabulary(cls, value: str | list[str] | None) -> str | list[str] | None:
        """An alias (``property.saved``) reads as the vocabulary's name (``listing.saved``)."""
        if isinstance(value, list):
            return [canonical(name) for name in value]
        return None if value is None else canonical(value)

    within: YearDuration = Field(
        default="14d", description="Window after assignment, at most 365d."
    )

    @field_validator("event")
    @classmethod
    def _event(cls, value: str | list[str] | None) -> str | list[str] | None:
        items = [value] if isinstance(value, str) else (value or [])
        if value is not None and not items:
            raise ValueError("name at least one event type")
        for item in items:
            if not item or not item.strip():
                raise ValueError("an event type cannot be empty")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ExperimentMetric:
        if (self.event is None) == (self.outcome is None):
            raise ValueError("give exactly one of event or outcome")
        return self

    def event_types(self) -> tuple[str, ...]:
        if self.outcome is not None:
            return OUTCOME_EVENTS[self.outcome]
        return (self.event,) if isinstance(self.event, str) else tuple(self.event or ())

    def label(self) -> str:
        return self.name or self.outcome or ",".join(self.event_types())

    def window_s(self) -> float:
        return parse_duration(self.within)


def _default_guardrails() -> list[ExperimentMetric]:
    return [ExperimentMetric(name="opt_out", event=list(OPT_OUT_EVENTS), within="14d")]


class ExperimentSpec(DefinitionModel):
    key: ExperimentKey | None = Field(
        default=None, description="Stable name; default <workflow key>.<node id>."
    )
    control: str | None = Field(default=None, description="Arm compared against; default first.")
    metric: ExperimentMetric
    guardrails: list[ExperimentMetric] = Field(
        default_factory=_default_guardrails, description="Watched alongside (default opt-outs)."
    )
    method: Method = "sequential"
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    tuning: float = Field(default=5000, gt=0, description="Sequential tuning parameter M.")
    decide: DecisionMode = "manual"
    min_sample: int = Field(default=100, ge=1, description="Contacts per arm before deciding.")
    min_conversions: int = Field(
        default=30,
        ge=0,
        description="auto_apply: conversions in every arm before a winner may be declared.",
    )
    weight_floor: float = Field(default=0.01, ge=0, lt=0.5, description="Bandit floor per arm.")
    bandit_beta: float = Field(
        default=DEFAULT_BANDIT_BETA,
        ge=0.5,
        le=1.0,
        description="Bandit: the leader's share (0.5 finds the best arm fastest, 1 is plain "
        "Thompson sampling); the rest goes to the most likely challenger.",
    )
    review_every: MonthDuration = Field(
        default="1d", description="How often the decision is reviewed."
    )
    pre_period: YearDuration | None = Field(
        default=None,
        description="CUPED: the metric counted over this period before assignment.",
    )

    def review_every_s(self) -> float:
        return parse_duration(self.review_every)

    def pre_period_s(self) -> float | None:
        return None if self.pre_period is None else parse_duration(self.pre_period)


def experiment_problems(arms: list[Any], spec: ExperimentSpec | None, label: str) -> list[str]:
    """What is wrong with a split's arms as an experiment (empty when it has no experiment)."""
    problems: list[str] = []
    holdouts = [i for i, arm in enumerate(arms) if arm.holdout]
    if spec is None:
        for i in holdouts:
            problems.append(f"{label}.arms[{i}].holdout: a holdout arm needs an experiment block")
        return problems
    treated = [arm for arm in arms if not arm.holdout]
    if len(treated) < 2:
        problems.append(f"{label}.arms: an experiment needs at least two arms that are not holdout")
    if len(holdouts) > 1:
        problems.append(f"{label}.arms[{holdouts[1]}].holdout: at most one holdout arm")
    names = {arm.name: arm for arm in arms}
    if spec.control is not None:
        if spec.control not in names:
            known = ", ".join(sorted(names))
            problems.append(
                f"{label}.experiment.control: no arm named {spec.control!r} (arms: {known})"
            )
        elif names[spec.control].holdout:
            problems.append(f"{label}.experiment.control: the holdout arm cannot be the control")
    return problems


def control_arm(node: object) -> str:
    """The arm the others are compared against: ``experiment.control`` or the first treated."""
    spec: ExperimentSpec | None = getattr(node, "experiment", None)
    if spec is not None and spec.control:
        return spec.control
    arms = list(getattr(node, "arms", None) or [])
    return str(next((a.name for a in arms if not a.holdout), arms[0].name))


__all__ = [
    "DEFAULT_BANDIT_BETA",
    "OPT_OUT_EVENTS",
    "OUTCOME_EVENTS",
    "DecisionMode",
    "ExperimentKey",
    "ExperimentMetric",
    "ExperimentSpec",
    "Method",
    "control_arm",
    "experiment_problems",
]
