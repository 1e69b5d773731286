"""Decisions and reviews on a memory store: the sample-ratio block, the minimum sample,
auto-apply with guardrails, the bandit, manual changes, and the race between two reviewers."""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np
import pytest

from leadflow.clock import VirtualClock
from leadflow.engine.jobs import DueJobs
from leadflow.errors import Conflict
from leadflow.experiments.decide import decide
from leadflow.experiments.plugin import ReviewJob
from leadflow.experiments.report import build_report
from leadflow.experiments.review import (
    apply_arm,
    record_review,
    review_due,
    review_experiment,
    stop_experiment,
)
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from support.experiments import (
    DAY,
    KEY,
    OPT_OUT,
    T0,
    TENANT,
    arm_with,
    assign,
    create,
    events,
    experiment_with,
    memory_store,
    spec,
    stored,
    two_arms,
)

NOW = T0 + 20 * DAY


def test_manual_mode_decides_nothing_and_stores_nothing() -> None:
    store, _, _ = two_arms((300, 30), (300, 90), spec(decide="manual"))

    assert review_experiment(store, TENANT, KEY, NOW) is None
    assert store.experiment_decisions(TENANT, KEY) == []
    assert stored(store).status == "running"


def test_a_sample_ratio_mismatch_blocks_even_a_clear_winner() -> None:
    store, _, _ = two_arms((600, 60), (400, 120), spec(min_sample=100))

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "blocked_srm"
    assert "a 600" in decision.reason and "b 400" in decision.reason and "p = " in decision.reason
    assert decision.weights_after == decision.weights_before == {"a": 0.5, "b": 0.5}
    assert stored(store).status == "running" and stored(store).winner is None


def test_an_arm_below_the_minimum_sample_keeps_the_experiment_running() -> None:
    store, _, _ = two_arms((90, 5), (92, 40), spec(min_sample=100))

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "keep"
    assert "arm a needs 10 more" in decision.reason and "arm b needs 8 more" in decision.reason
    assert stored(store).weights == {"a": 0.5, "b": 0.5}


def test_auto_apply_waits_for_conversions_in_every_arm() -> None:
    """12 bookings in 400 against 45 in 400 is significant, but 12 conversions are too few for
    the normal approximation behind it: the review waits for 30 in each arm."""
    store, _, _ = two_arms((400, 12), (400, 45), spec(min_sample=100))

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "keep"
    assert decision.reason == "too few conversions to judge: arm a needs 18 more (12 of 30)"
    arms = {arm["name"]: arm for arm in decision.numbers["arms"]}
    assert arms["b"]["analysis"]["significant"] is True  # the numbers alone would have applied
    assert stored(store).status == "running"


def test_auto_apply_picks_the_arm_with_the_largest_significant_gain() -> None:
    arms = (("a", 1, False), ("b", 1, False), ("c", 1, False))
    store, _ = experiment_with({"a": (300, 30), "b": (300, 55), "c": (300, 80)}, arms=arms)

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "apply_winner" and decision.winner == "c"
    assert decision.weights_after == {"a": 0.0, "b": 0.0, "c": 1.0}
    experiment = stored(store)
    assert (experiment.status, experiment.winner) == ("applied", "c")
    assert experiment.next_review_at is None
    assert store.due_experiments(NOW + 30 * DAY) == []


def test_the_holdout_keeps_its_planned_share_when_a_winner_is_applied() -> None:
    arms = (("a", 45, False), ("b", 45, False), ("off", 10, True))
    store, _ = experiment_with({"a": (450, 45), "b": (450, 110), "off": (100, 3)}, arms=arms)

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.winner == "b"
    assert decision.weights_after == pytest.approx({"a": 0.0, "b": 0.9, "off": 0.1})


def test_no_significant_difference_keeps_the_experiment_running() -> None:
    store, _, _ = two_arms((300, 30), (300, 33))

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "keep"
    assert "no arm differs significantly" in decision.reason
    assert stored(store).next_review_at == NOW + DAY


def test_the_control_wins_when_every_other_arm_is_significantly_worse() -> None:
    store, _, _ = two_arms((300, 90), (300, 30))

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "apply_winner"
    assert decision.winner == "a" and decision.weights_after == {"a": 1.0, "b": 0.0}


def test_a_failed_guardrail_blocks_the_would_be_winner() -> None:
    store, a_ids, b_ids = two_arms((300, 30), (300, 90))
    events(store, OPT_OUT, a_ids[:3], T0 + DAY)
    events(store, OPT_OUT, b_ids[:40], T0 + DAY)

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "blocked_guardrail"
    assert "opt_out" in decision.reason and "arm b" in decision.reason
    assert stored(store).status == "running" and decision.weights_after == {"a": 0.5, "b": 0.5}


def test_the_bandit_moves_weight_to_the_best_arm_above_the_floor() -> None:
    arms = (("a", 30, False), ("b", 30, False), ("c", 30, False), ("off", 10, True))
    store, _ = experiment_with(
        {"a": (300, 30), "b": (300, 33), "c": (300, 90), "off": (100, 5)},
        spec(decide="bandit", weight_floor=0.05),
        arms=arms,
    )

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "reallocate"
    after = decision.weights_after
    assert after["off"] == pytest.approx(0.1)  # the holdout keeps its share
    assert sum(after.values()) == pytest.approx(1.0)
    # Top-two sampling: the sure leader gets bandit_beta (0.8) of the treated share, its likely
    # challenger the rest, and the other arm no less than the floor
    assert after["c"] == pytest.approx(0.8 * 0.9, abs=0.01)
    assert min(after["a"], after["b"]) >= 0.05 * 0.9 - 1e-9  # the floor, within the treated 90 %
    assert after["a"] + after["b"] == pytest.approx(0.2 * 0.9, abs=0.01)
    experiment = stored(store)
    assert experiment.weights == after and experiment.status == "running"


def test_the_bandit_drops_a_clearly_worse_arm_to_the_floor() -> None:
    arms = (("a", 1, False), ("b", 1, False), ("c", 1, False))
    store, _ = experiment_with(
        {"a": (300, 30), "b": (300, 60), "c": (300, 66)},
        spec(decide="bandit", weight_floor=0.05),
        arms=arms,
    )

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None
    assert decision.weights_after["a"] == pytest.approx(0.05)
    assert decision.weights_after["b"] + decision.weights_after["c"] == pytest.approx(0.95)
    assert "top-two Thompson sampling" in decision.reason
    assert "chance to be best: a 0.0%" in decision.reason


def test_a_floor_too_high_for_the_arms_gives_each_an_equal_share() -> None:
    store = memory_store()
    arms = (("a", 1, False), ("b", 1, False), ("c", 1, False))
    create(store, spec(decide="bandit", weight_floor=0.4), arms=arms)
    for arm in "abc":
        arm_with(store, arm, 100, 10 if arm != "c" else 40)

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "reallocate"
    assert decision.weights_after == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})


def test_the_bandit_waits_for_the_minimum_sample() -> None:
    store, _, _ = two_arms((150, 15), (150, 60), spec(decide="bandit", min_sample=200))

    decision = review_experiment(store, TENANT, KEY, NOW)

    assert decision is not None and decision.action == "keep"


def test_a_review_is_reproducible_for_the_same_revision() -> None:
    first, second = memory_store(), memory_store()
    for store in (first, second):
        create(store, spec(decide="bandit"))
        arm_with(store, "a", 100, 10)
        arm_with(store, "b", 100, 14)

    one = review_experiment(first, TENANT, KEY, NOW)
    two = review_experiment(second, TENANT, KEY, NOW)

    assert one is not None and two is not None
    assert one.weights_after == two.weights_after


def test_every_decision_is_stored_with_the_numbers_behind_it() -> None:
    store, _, _ = two_arms((60, 6), (60, 20), spec(min_sample=100))
    assert review_experiment(store, TENANT, KEY, T0 + DAY) is not None  # keep: sample too small
    arm_with(store, "a", 300, 30, prefix="late-a")
    arm_with(store, "b", 300, 90, prefix="late-b")
    assert review_experiment(store, TENANT, KEY, NOW) is not None

    keep, applied = store.experiment_decisions(TENANT, KEY)

    assert (keep.action, applied.action) == ("keep", "apply_winner")
    assert [a["n"] for a in keep.numbers["arms"]] == [60, 60]
    assert [a["n"] for a in applied.numbers["arms"]] == [360, 360]
    assert applied.numbers["arms"][1]["analysis"]["significant"] is True
    assert applied.numbers["srm"]["p_value"] == pytest.approx(1.0)
    assert "decisions" not in applied.numbers
    json.dumps(applied.numbers)
    assert build_report(store, TENANT, KEY, NOW).decisions == [keep, applied]


def test_of_two_reviews_at_the_same_revision_one_is_stored() -> None:
    store, _, _ = two_arms((300, 30), (300, 33))
    report = build_report(store, TENANT, KEY, NOW)

    first = record_review(store, report, NOW)
    second = record_review(store, report, NOW + 1)

    assert first is not None and second is None
    assert len(store.experiment_decisions(TENANT, KEY)) == 1
    assert stored(store).revision == 1 and stored(store).next_review_at == NOW + DAY


def test_review_due_reviews_only_what_is_due_and_moves_the_next_review() -> None:
    store = memory_store()
    create(store, spec(review_every="2d"))
    arm_with(store, "a", 10, 1)

    assert review_due(store, T0 + DAY) == 0
    assert review_due(store, T0 + 2 * DAY) == 1
    assert review_due(store, T0 + 3 * DAY) == 0
    assert stored(store).next_review_at == T0 + 4 * DAY


def test_the_worker_port_looks_at_most_once_a_minute() -> None:
    store = memory_store()
    create(store, spec(review_every="1d"))
    reviewer = DueJobs([ReviewJob(store)])

    assert reviewer.run_due(T0 + DAY - 30) == 0
    assert reviewer.run_due(T0 + DAY) == 0  # due now, but the last look was 30 s ago
    assert reviewer.run_due(T0 + DAY + 30) == 1
    assert len(store.experiment_decisions(TENANT, KEY)) == 1


def test_decide_is_pure_and_leaves_an_applied_experiment_alone() -> None:
    store, _, _ = two_arms((300, 30), (300, 90))
    apply_arm(store, TENANT, KEY, "a", T0 + DAY, by="ana@example.com")
    report = build_report(store, TENANT, KEY, NOW)

    assert decide(report.experiment, report, np.random.default_rng(1)) is None
    assert review_experiment(store, TENANT, KEY, NOW) is None


def test_apply_arm_by_hand_is_stored_with_who_did_it() -> None:
    store = memory_store()
    create(store, arms=(("a", 1, False), ("b", 1, False), ("off", 1, True)))
    assign(store, "a", 5)

    decision = apply_arm(store, TENANT, KEY, "b", T0 + DAY, by="ana@example.com")

    assert decision.action == "manual_apply" and decision.winner == "b"
    assert "ana@example.com" in decision.reason
    assert decision.weights_after == pytest.approx({"a": 0.0, "b": 2 / 3, "off": 1 / 3})
    assert decision.numbers["arms"][0]["n"] == 5
    assert stored(store).status == "applied"


@pytest.mark.parametrize(("arm", "problem"), [("z", "no arm named 'z'"), ("off", "holdout")])
def test_apply_arm_refuses_an_unknown_arm_or_the_holdout(arm: str, problem: str) -> None:
    store = memory_store()
    create(store, arms=(("a", 1, False), ("b", 1, False), ("off", 1, True)))

    with pytest.raises(ValueError, match=rf"^arm: .*{problem}"):
        apply_arm(store, TENANT, KEY, arm, T0, by="ana")
    assert store.experiment_decisions(TENANT, KEY) == []


def test_stop_ends_the_reviews_and_keeps_the_weights() -> None:
    store = memory_store()
    create(store)

    decision = stop_experiment(store, TENANT, KEY, T0 + DAY, by="ana")

    assert decision.action == "stop" and decision.weights_after == {"a": 0.5, "b": 0.5}
    assert stored(store).status == "stopped" and stored(store).next_review_at is None
    assert review_due(store, T0 + 10 * DAY) == 0
    with pytest.raises(Conflict, match="already stopped"):
        stop_experiment(store, TENANT, KEY, T0 + 2 * DAY, by="ana")


def test_the_worker_reviews_due_experiments_and_counts_them() -> None:
    store, _, _ = two_arms((14, 2), (5, 1), spec(min_sample=10))
    runtime = build_runtime(Settings(db="memory://"), store=store, clock=VirtualClock(T0))
    worker = runtime.worker("w")

    worker.tick(T0 + DAY - 120)  # not due yet
    assert worker.stats.jobs == 0
    worker.tick(T0 + DAY)
    worker.tick(T0 + DAY + 1)  # inside the minute: no second look

    assert worker.stats.jobs == 1
    (decision,) = store.experiment_decisions(TENANT, KEY)
    assert decision.action == "keep" and "arm b needs 5 more" in decision.reason


def test_a_review_that_fails_is_logged_and_the_others_still_happen(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = memory_store()
    good = create(store, spec(min_sample=10))
    broken = dataclasses.replace(good, key="broken", config={"metric": {"event": ""}})
    assert store.save_experiment(broken, None)

    with caplog.at_level(logging.ERROR):
        assert review_due(store, T0 + DAY) == 1

    assert "'broken'" in caplog.text and "review failed" in caplog.text
    assert [d.action for d in store.experiment_decisions(TENANT, KEY)] == ["keep"]
    postponed = store.get_experiment(TENANT, "broken")
    assert postponed is not None and postponed.next_review_at == T0 + 2 * DAY
