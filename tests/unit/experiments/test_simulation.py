"""Proof by simulation: peeking, power and bandit allocation with the real statistics.

Each assertion is chosen with its binomial noise in mind (sd = sqrt(p (1 - p) / runs)); the
comment next to it gives the rate measured on thousands of runs and how many standard deviations
separate it from the bound, so a seed changing cannot flip the result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadflow.experiments.simulation import aa_peeking, ab_detection
from leadflow.experiments.simulation_bandit import bandit_run, bandit_runs

BENCH = Path(__file__).resolve().parents[3] / "bench" / "experiments.py"
THREE_ARMS = {"plain": 0.040, "short": 0.050, "emoji": 0.065}


@pytest.fixture(scope="module")
def peeking() -> dict[str, float]:
    result = aa_peeking(runs=1500, days=30, daily_per_arm=200, base_rate=0.10, seed=11)
    return {
        "sequential": result.sequential.rate,
        "plain_peeking": result.plain_peeking.rate,
        "plain_final": result.plain_final.rate,
    }


def test_sequential_method_read_daily_keeps_false_winners_within_alpha(
    peeking: dict[str, float],
) -> None:
    # measured 3.2% [2.8%, 3.7%] over 6,000 runs; sd at 1,500 runs 0.46 points: 5% is ~4 sd away
    assert peeking["sequential"] <= 0.05


def test_plain_test_read_daily_declares_false_winners_far_above_alpha(
    peeking: dict[str, float],
) -> None:
    # measured 29% over 6,000 runs (about 30% is the textbook figure for 30 looks); sd 1.2 points
    assert peeking["plain_peeking"] > 0.10
    # read once at day 30 the same test is right: 5.1% measured, sd 0.57 points
    assert 0.025 <= peeking["plain_final"] <= 0.08
    # so the excess is the peeking, not the test
    assert peeking["plain_peeking"] - peeking["plain_final"] > 0.10


def test_a_true_20_percent_lift_is_detected_in_most_runs_before_the_period_ends() -> None:
    result = ab_detection(runs=200, days=30, daily_per_arm=1000, base_rate=0.05, lift=0.20, seed=12)
    # measured 97.5%; sd at 200 runs 1.1 points, so 85% is ~11 sd below
    assert result.detected.rate >= 0.85
    # a significant look pointing the wrong way: 0.1% of 1,000 runs in the bench
    assert result.wrong_way.rate <= 0.02
    assert result.sample is not None and result.day is not None
    assert 0 < result.sample.median < result.total_sample == 60_000
    assert result.sample.low <= result.sample.median <= result.sample.high
    assert 1 <= result.day.median < 30
    assert result.sample.median == 2 * 1000 * result.day.median


def test_the_same_seed_gives_the_same_figures_and_another_seed_others() -> None:
    first = aa_peeking(runs=60, daily_per_arm=200, base_rate=0.10, seed=5).as_dict()
    again = aa_peeking(runs=60, daily_per_arm=200, base_rate=0.10, seed=5).as_dict()
    assert first == again
    bandit = bandit_run(days=10, daily_total=600, rates=THREE_ARMS, seed=5).as_dict()
    assert bandit == bandit_run(days=10, daily_total=600, rates=THREE_ARMS, seed=5).as_dict()
    other = bandit_run(days=10, daily_total=600, rates=THREE_ARMS, seed=6).as_dict()
    assert other["share"] != bandit["share"]


def test_classic_top_two_sampling_gives_the_leader_about_half() -> None:
    """beta 0.5, top-two sampling as published: built to find the best arm, not to exploit it."""
    summary = bandit_runs(runs=40, days=30, daily_total=600, rates=THREE_ARMS, beta=0.5, seed=21)
    assert summary.best == "emoji"
    # measured 94.5% of 200 runs; sd at 40 runs 3.6 points, 75% is ~5 sd below
    assert summary.best_most_traffic.rate >= 0.75
    # the leader's share tends to beta = 0.5 by construction of top-two sampling
    assert 0.40 < summary.best_share.median < 0.55
    # 8% more conversions than an even split measured; pooled sd about 0.5 points
    assert summary.conversion_gain > 0.03
    assert summary.reached_half.rate >= 0.9


def test_bandit_as_configured_gives_the_best_arm_the_majority_and_most_of_the_last_week() -> None:
    summary = bandit_runs(runs=40, days=30, daily_total=600, rates=THREE_ARMS, seed=22)
    # measured over 200 runs: period share 75% (quartiles 72-77%), last week 79.5% (79-80%)
    assert summary.best_share.low > 0.5
    assert summary.best_last_week_share.median > 0.70
    assert summary.best_last_week_majority.rate >= 0.9
    assert summary.day_best_over_half is not None and summary.day_best_over_half.median <= 10
    assert summary.conversion_gain > 0.08


def test_two_arm_bandit_as_configured_moves_traffic_to_the_better_arm() -> None:
    summary = bandit_runs(runs=40, days=30, daily_total=600, rates={"a": 0.05, "b": 0.06}, seed=23)
    assert summary.best_last_week_share.median > 0.6


def test_bandit_as_configured_starves_the_clearly_worst_arm() -> None:
    worst = [
        bandit_run(days=30, daily_total=600, rates=THREE_ARMS, seed=seed).last_week_share["plain"]
        for seed in range(20)
    ]
    # with the floor at 1% the worst arm should be near it by the last week (before the
    # challenger was drawn from the draws the leader loses, it came back to 16% on average)
    assert sum(worst) / len(worst) < 0.05


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: aa_peeking(runs=0, daily_per_arm=200, base_rate=0.1, seed=1), "runs"),
        (lambda: aa_peeking(runs=10, daily_per_arm=200, base_rate=1.5, seed=1), "base_rate"),
        (lambda: aa_peeking(runs=10, days=0, daily_per_arm=200, base_rate=0.1, seed=1), "days"),
        (lambda: ab_detection(runs=10, daily_per_arm=200, base_rate=0.9, seed=1), "lift"),
        (lambda: bandit_run(days=5, daily_total=100, rates={"a": 0.1}, seed=1), "rates"),
        (
            lambda: bandit_run(days=5, daily_total=100, rates={"a": 0.1, "b": 0.1}, seed=1),
            "rates",
        ),
        (lambda: bandit_run(days=5, daily_total=0, rates=THREE_ARMS, seed=1), "daily_total"),
        (lambda: bandit_run(days=5, daily_total=9, rates=THREE_ARMS, beta=2, seed=1), "beta"),
        (lambda: bandit_run(days=5, daily_total=9, rates=THREE_ARMS, floor=0.5, seed=1), "floor"),
        (lambda: bandit_runs(runs=0, days=5, daily_total=100, rates=THREE_ARMS, seed=1), "runs"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(call: object, field: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=rf"^{field}: "):
        call()


@pytest.mark.subprocess
def test_bench_prints_every_scenario_as_json_and_refuses_a_bad_count() -> None:
    argv = [sys.executable, str(BENCH), "--aa-runs", "20", "--ab-runs", "20"]
    done = subprocess.run(
        [*argv, "--bandit-runs", "2", "--seed", "4", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    out = json.loads(done.stdout)
    # exit 1 exactly when a sequential A/A rate is above 5% beyond its noise
    above = any(s["sequential"]["low"] > 0.05 for s in out["aa"])
    assert done.returncode == int(above)
    assert out["seed"] == 4
    assert [s["runs"] for s in out["aa"]] == [20] * 8
    assert {s["difference"] for s in out["aa"]} == {"relative", "absolute"}
    assert {s["min_conversions"] for s in out["aa"]} == {0, 30}
    assert [s["base_rate"] for s in out["ab"]] == [0.05, 0.02]
    assert [s["beta"] for s in out["bandit"]] == [0.8, 0.8, 0.8, 0.5, 0.5]
    assert all(s["seconds"] >= 0 for s in out["aa"] + out["ab"] + out["bandit"])
    refused = subprocess.run(
        [sys.executable, str(BENCH), "--aa-runs", "0"], capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert "--aa-runs must be >= 1, got 0" in refused.stderr
