"""The experiment report on a memory store: what counts as a conversion, CUPED, guardrails, the
sample-ratio check and the holdout comparison."""

from __future__ import annotations

import json

import pytest

from leadflow.errors import NotFound
from leadflow.experiments.report import build_report
from leadflow.model.experiments import ExperimentDecision
from support.experiments import (
    DAY,
    GOAL,
    KEY,
    OPT_OUT,
    T0,
    TENANT,
    arm_with,
    assign,
    create,
    events,
    memory_store,
    spec,
    two_arms,
)


def test_conversions_count_only_after_assignment_and_inside_the_window() -> None:
    store = memory_store()
    create(store, spec(metric={"event": GOAL, "within": "14d"}))
    before, at_start, at_end, after, other_type, twice = assign(store, "a", 6, at=T0 + DAY)
    events(store, GOAL, [before], T0 + DAY - 1)  # before the assignment
    events(store, GOAL, [at_start], T0 + DAY)  # the moment of assignment counts
    events(store, GOAL, [at_end], T0 + 15 * DAY)  # exactly 14 days later still counts
    events(store, GOAL, [after], T0 + 15 * DAY + 1)  # a second too late
    events(store, "appointment.cancelled", [other_type], T0 + 2 * DAY)
    events(store, GOAL, [twice], T0 + 2 * DAY)
    events(store, GOAL, [twice], T0 + 3 * DAY)  # a contact converts once

    arm = build_report(store, TENANT, KEY, T0 + 30 * DAY).arm("a")

    assert (arm.n, arm.conversions) == (6, 3)
    assert arm.rate == pytest.approx(0.5)


def test_an_outcome_metric_counts_any_of_its_event_types() -> None:
    store = memory_store()
    create(store, spec(metric={"outcome": "replied", "within": "3d"}))
    sms, mail, late = assign(store, "b", 3)
    events(store, "sms.received", [sms], T0 + 60)
    events(store, "email.replied", [mail], T0 + DAY)
    events(store, "sms.received", [late], T0 + 4 * DAY)

    report = build_report(store, TENANT, KEY, T0 + 5 * DAY)

    assert report.arm("b").conversions == 2
    assert report.arm("a").n == 0 and report.arm("a").rate is None


def test_each_arm_is_analysed_against_the_control() -> None:
    store, _, _ = two_arms((400, 40), (400, 80), spec(method="frequentist"))

    report = build_report(store, TENANT, KEY, T0 + 20 * DAY)

    control, treated = report.arm("a"), report.arm("b")
    assert report.control == "a" and control.analysis is None
    assert treated.analysis is not None
    assert treated.analysis.effect == pytest.approx(1.0)  # 20 % vs 10 %: +100 %
    assert treated.analysis.significant
    assert treated.analysis.ci_low is not None and treated.analysis.ci_low > 0


def test_cuped_narrows_the_interval_when_the_pre_period_predicts_the_outcome() -> None:
    def std_error(pre_period: str | None) -> float:
        store = memory_store()
        create(store, spec(pre_period=pre_period, method="frequentist"))
        for arm, converted in (("a", 30), ("b", 45)):
            ids = arm_with(store, arm, 150, converted)
            # Most converters had already booked before they were assigned; few others had.
            events(store, GOAL, ids[: converted - 5], T0 - 3 * DAY)
            events(store, GOAL, ids[converted : converted + 5], T0 - 3 * DAY)
            events(store, GOAL, ids[:2], T0 - 40 * DAY)  # outside a 30-day pre-period
        analysis = build_report(store, TENANT, KEY, T0 + 20 * DAY).arm("b").analysis
        assert analysis is not None and analysis.error is None and analysis.std_error
        if pre_period is not None:
            assert analysis.cuped_theta is not None and analysis.cuped_theta > 0
        return analysis.std_error

    plain, adjusted = std_error(None), std_error("30d")

    assert adjusted < 0.8 * plain


def test_a_guardrail_fails_when_the_arm_opts_out_significantly_more() -> None:
    store, a_ids, b_ids = two_arms((300, 30), (300, 60))
    events(store, OPT_OUT, a_ids[:3], T0 + DAY)
    events(store, OPT_OUT, b_ids[:40], T0 + DAY)

    report = build_report(store, TENANT, KEY, T0 + 20 * DAY)

    (guard,) = report.arm("b").guardrails
    assert (guard.name, guard.conversions, guard.failed) == ("opt_out", 40, True)
    assert report.arm("a").guardrails[0].failed is False


def test_a_guardrail_fails_even_when_the_control_had_no_opt_out_at_all() -> None:
    store, _, b_ids = two_arms((200, 20), (200, 20))
    events(store, "email.unsubscribed", b_ids[:15], T0 + DAY)

    (guard,) = build_report(store, TENANT, KEY, T0 + 20 * DAY).arm("b").guardrails

    assert guard.failed
    assert guard.exact_p_value is not None and guard.exact_p_value < 0.001


def test_a_guardrail_holds_when_the_rates_are_alike() -> None:
    store, a_ids, b_ids = two_arms((300, 30), (300, 30))
    events(store, OPT_OUT, a_ids[:10], T0 + DAY)
    events(store, OPT_OUT, b_ids[:11], T0 + DAY)

    (guard,) = build_report(store, TENANT, KEY, T0 + 20 * DAY).arm("b").guardrails

    assert guard.conversions == 11 and not guard.failed


def test_srm_compares_the_counts_with_the_current_weights() -> None:
    store = memory_store()
    create(store)
    assign(store, "a", 600)
    assign(store, "b", 400)

    report = build_report(store, TENANT, KEY, T0 + DAY)

    assert report.srm_counts == {"a": 600, "b": 400}
    assert report.srm_p_value is not None and report.srm_p_value < 1e-6
    assert report.srm_since == T0


def test_srm_counts_only_since_the_weights_last_changed() -> None:
    store = memory_store()
    experiment = create(store, spec(decide="bandit"))
    assign(store, "a", 600, at=T0, prefix="old-a")
    assign(store, "b", 400, at=T0, prefix="old-b")
    changed = {"a": 0.6, "b": 0.4}
    decision = ExperimentDecision(
        TENANT, KEY, T0 + DAY, "reallocate", "test", experiment.weights, changed
    )
    stored = store.record_decision(
        decision, experiment.__class__(**{**_fields(experiment), "weights": changed}), 0
    )
    assert stored is not None
    assign(store, "a", 50, at=T0 + DAY, prefix="same-a")  # entered in the review's own tick
    assign(store, "a", 300, at=T0 + 2 * DAY, prefix="new-a")
    assign(store, "b", 200, at=T0 + 2 * DAY, prefix="new-b")

    report = build_report(store, TENANT, KEY, T0 + 3 * DAY)

    assert report.srm_since == T0 + DAY
    assert report.srm_counts == {"a": 300, "b": 200}
    assert report.srm_p_value is not None and report.srm_p_value > 0.9


def _fields(experiment: object) -> dict[str, object]:
    return {name: getattr(experiment, name) for name in experiment.__slots__}  # type: ignore[attr-defined]


def test_srm_is_not_checked_once_a_winner_is_applied() -> None:
    store = memory_store()
    experiment = create(store)
    applied = experiment.__class__(
        **{**_fields(experiment), "status": "applied", "winner": "b", "weights": {"b": 1.0}}
    )
    assert store.save_experiment(applied, experiment.revision)
    assign(store, "b", 50)

    assert build_report(store, TENANT, KEY, T0 + DAY).srm_p_value is None


def test_the_holdout_is_compared_with_every_treated_arm_pooled() -> None:
    store, _, _ = two_arms(
        (200, 30), (200, 50), arms=(("a", 45, False), ("b", 45, False), ("none", 10, True))
    )
    arm_with(store, "none", 100, 5)

    report = build_report(store, TENANT, KEY, T0 + 20 * DAY)

    holdout = report.holdout
    assert holdout is not None and holdout.arm == "none"
    assert (holdout.treated_n, holdout.treated_conversions) == (400, 80)
    assert (holdout.holdout_n, holdout.holdout_conversions) == (100, 5)
    assert holdout.analysis.effect == pytest.approx((0.2 - 0.05) / 0.05)
    assert report.arm("none").planned_weight == pytest.approx(0.1)


def test_the_report_is_json_ready_and_lists_the_decisions() -> None:
    store = memory_store()
    experiment = create(store)
    arm_with(store, "a", 60, 6)
    arm_with(store, "b", 60, 12)
    decision = ExperimentDecision(
        TENANT, KEY, T0 + DAY, "keep", "waiting", experiment.weights, experiment.weights
    )
    assert store.record_decision(decision, experiment, experiment.revision) is not None

    data = json.loads(json.dumps(build_report(store, TENANT, KEY, T0 + 2 * DAY).as_dict()))

    assert data["key"] == KEY and data["control"] == "a" and data["metric"] == GOAL
    assert [a["n"] for a in data["arms"]] == [60, 60]
    assert data["arms"][1]["analysis"]["effect"] == pytest.approx(1.0)
    assert [d["action"] for d in data["decisions"]] == ["keep"]
    assert "decisions" not in build_report(store, TENANT, KEY, T0).as_dict(decisions=False)


def test_an_unknown_experiment_is_not_found() -> None:
    store = memory_store()
    with pytest.raises(NotFound, match="nope"):
        build_report(store, TENANT, "nope", T0)
