"""The statistics API as a notebook user meets it: arguments, errors, flags and relations."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from leadflow.experiments.stats import ArmStats, analyze, mean, proportion, srm_p_value

CONTROL = proportion(100, 1000)
TREATMENT = proportion(130, 1000)


def sums(values: np.ndarray) -> tuple[float, float, int]:
    return float(values.sum()), float((values**2).sum()), len(values)


def test_arm_statistics_follow_the_stated_conventions() -> None:
    values = np.array([2.0, 5.0, 1.0, 8.0, 4.0])
    arm = mean(*sums(values))
    assert arm.mean == pytest.approx(4.0)
    assert arm.variance == pytest.approx(float(np.var(values, ddof=1)))
    assert proportion(30, 120).variance == pytest.approx(0.25 * 0.75)
    assert proportion(0, 0).mean == 0.0


@pytest.mark.parametrize(
    ("build", "argument"),
    [
        (lambda: proportion(5, -1), "n"),
        (lambda: proportion(-1, 10), "successes"),
        (lambda: proportion(11, 10), "successes"),
        (lambda: proportion(float("nan"), 10), "successes"),
        (lambda: proportion(1, 2.5), "n"),
        (lambda: mean(float("nan"), 1.0, 3), "total"),
        (lambda: mean(1.0, float("inf"), 3), "sum_squares"),
        (lambda: mean(1.0, -1.0, 3), "sum_squares"),
        (lambda: mean(1.0, 1.0, 3, pre=mean(1.0, 1.0, 3)), "sum_products"),
        (lambda: mean(1.0, 1.0, 3, sum_products=2.0), "sum_products"),
        (lambda: mean(1.0, 1.0, 3, pre=mean(1.0, 1.0, 4), sum_products=2.0), "pre"),
        (
            lambda: proportion(1, 3, pre=mean(1.0, 1.0, 3), sum_products=float("nan")),
            "sum_products",
        ),
    ],
)
def test_bad_arm_input_names_the_argument(build: Any, argument: str) -> None:
    with pytest.raises(ValueError, match=f"^{argument}:"):
        build()


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"method": "bootstrap"}, "method"),
        ({"method": "frequentist", "difference": "scaled"}, "difference"),
        ({"method": "frequentist", "alpha": 0.0}, "alpha"),
        ({"method": "frequentist", "alpha": 1.0}, "alpha"),
        ({"method": "frequentist", "alpha": float("nan")}, "alpha"),
        ({"method": "sequential", "tuning": 0}, "tuning"),
        ({"method": "sequential", "tuning": -5}, "tuning"),
        ({"method": "bayesian", "prior_mean": 0.0}, "prior_variance"),
        ({"method": "bayesian", "prior_variance": 0.1}, "prior_mean"),
        ({"method": "bayesian", "prior_mean": 0.0, "prior_variance": 0.0}, "prior_variance"),
        ({"method": "bayesian", "prior_mean": 0.0, "prior_variance": -1.0}, "prior_variance"),
    ],
)
def test_bad_options_name_the_argument(options: dict[str, Any], argument: str) -> None:
    with pytest.raises(ValueError, match=f"^{argument}:"):
        analyze(CONTROL, TREATMENT, **options)


def test_arms_of_different_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^treatment:"):
        analyze(CONTROL, mean(10.0, 30.0, 5), method="frequentist")


@pytest.mark.parametrize("method", ["frequentist", "sequential", "bayesian"])
def test_each_method_fills_its_own_fields(method: Any) -> None:
    result = analyze(CONTROL, TREATMENT, method=method)
    assert result.effect == pytest.approx(0.3)
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low < 0.3 < result.ci_high
    if method == "bayesian":
        assert result.p_value is None
        assert result.chance_to_win is not None and 0.9 < result.chance_to_win < 1
        assert result.risk is not None and result.risk_control is not None
        assert 0 < result.risk < result.risk_control
    else:
        assert result.p_value is not None
        assert result.chance_to_win is None and result.risk is None
    assert result.cuped_theta is None and result.error is None


def test_significance_follows_alpha_and_direction() -> None:
    strong = proportion(160, 1000)
    weak = proportion(104, 1000)
    assert analyze(CONTROL, strong, method="frequentist").significant
    assert not analyze(CONTROL, weak, method="frequentist").significant
    assert analyze(CONTROL, strong, method="bayesian").significant
    assert not analyze(CONTROL, weak, method="bayesian").significant
    # a clearly worse treatment is a significant (negative) result too
    loser = analyze(CONTROL, proportion(50, 1000), method="bayesian")
    assert loser.chance_to_win is not None and loser.chance_to_win < 0.05
    assert loser.significant
    frequentist = analyze(CONTROL, TREATMENT, method="frequentist")
    assert frequentist.p_value is not None
    loose = analyze(CONTROL, TREATMENT, method="frequentist", alpha=0.2)
    assert loose.significant == (frequentist.p_value < 0.2)
    assert frequentist.significant == (frequentist.p_value < 0.05)


@pytest.mark.parametrize(
    ("control", "treatment", "code", "difference"),
    [
        (proportion(0, 0), TREATMENT, "empty_arm", "relative"),
        (CONTROL, proportion(0, 0), "empty_arm", "absolute"),
        (proportion(0, 1000), TREATMENT, "zero_baseline", "relative"),
        (mean(500.0, 2500.0, 100), mean(520.0, 2900.0, 100), "zero_variance", "absolute"),
        (proportion(1000, 1000), proportion(990, 1000), "zero_variance", "relative"),
    ],
)
@pytest.mark.parametrize("method", ["frequentist", "sequential", "bayesian"])
def test_no_answer_is_a_coded_error_with_empty_numbers(
    control: ArmStats, treatment: ArmStats, code: str, difference: Any, method: Any
) -> None:
    result = analyze(control, treatment, method=method, difference=difference)
    assert result.error is not None and result.error.startswith(f"{code}: ")
    numbers = (result.effect, result.ci_low, result.ci_high, result.std_error, result.p_value)
    assert numbers == (None,) * 5
    assert result.chance_to_win is None and result.risk is None
    assert not result.significant
    assert json.loads(json.dumps(result.as_dict()))["error"] == result.error


@pytest.mark.parametrize("method", ["frequentist", "sequential", "bayesian"])
def test_as_dict_is_json_ready(method: Any) -> None:
    data = analyze(
        mean(*sums(np.arange(50, dtype=np.float64))),
        mean(*sums(np.arange(5, 60, dtype=np.float64))),
        method=method,
    ).as_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    numeric = [v for v in data.values() if not isinstance(v, str | bool) and v is not None]
    assert numeric and all(type(v) is float for v in numeric)
    assert data["method"] == method and isinstance(data["significant"], bool)


@pytest.mark.parametrize("method", ["frequentist", "sequential", "bayesian"])
def test_relative_effect_is_the_absolute_one_over_the_control_mean(method: Any) -> None:
    absolute = analyze(CONTROL, TREATMENT, method=method, difference="absolute")
    relative = analyze(CONTROL, TREATMENT, method=method, difference="relative")
    assert absolute.effect == pytest.approx(0.03)
    assert relative.effect == pytest.approx(absolute.effect / CONTROL.mean)  # type: ignore[operator]


def correlated_arms(lift: float) -> tuple[ArmStats, ArmStats, ArmStats, ArmStats]:
    """Revenue that largely repeats each contact's pre-period revenue, plus noise."""
    rng = np.random.default_rng(11)
    arms = []
    for shift in (0.0, lift):
        pre = rng.gamma(3.0, 10.0, 2000)
        post = 0.9 * pre + rng.normal(5.0 + shift, 6.0, 2000)
        plain = mean(*sums(post))
        covariate = mean(*sums(pre))
        adjusted = mean(*sums(post), pre=covariate, sum_products=float((post * pre).sum()))
        arms.append((plain, adjusted))
    return arms[0][0], arms[1][0], arms[0][1], arms[1][1]


@pytest.mark.parametrize("method", ["frequentist", "sequential", "bayesian"])
def test_cuped_narrows_the_interval_when_the_pre_period_predicts(method: Any) -> None:
    plain_a, plain_b, cuped_a, cuped_b = correlated_arms(lift=1.0)
    plain = analyze(plain_a, plain_b, method=method, difference="absolute")
    cuped = analyze(cuped_a, cuped_b, method=method, difference="absolute")
    assert plain.std_error is not None and cuped.std_error is not None
    assert cuped.std_error < 0.6 * plain.std_error
    assert cuped.cuped_theta is not None and 0.7 < cuped.cuped_theta < 1.1
    assert plain.cuped_theta is None
    # the true lift is 1.0: the adjusted interval still covers it
    assert cuped.ci_low is not None and cuped.ci_high is not None
    assert cuped.ci_low < 1.0 < cuped.ci_high


def test_cuped_needs_the_pre_period_in_both_arms() -> None:
    plain_a, _, _, cuped_b = correlated_arms(lift=1.0)
    result = analyze(plain_a, cuped_b, method="frequentist")
    assert result.cuped_theta is None


def test_sequential_interval_is_wider_than_the_fixed_horizon_one() -> None:
    fixed = analyze(CONTROL, TREATMENT, method="frequentist", difference="absolute")
    always_valid = analyze(CONTROL, TREATMENT, method="sequential", difference="absolute")
    assert fixed.ci_low is not None and always_valid.ci_low is not None
    assert always_valid.ci_low < fixed.ci_low
    assert always_valid.effect == fixed.effect


def test_daily_peeking_inflates_false_winners_but_not_with_the_sequential_method() -> None:
    """A/A experiments looked at every day for 30 days: how often is a 'winner' ever declared?"""
    rng = np.random.default_rng(7)
    runs, days, daily = 200, 30, 200
    false_winners = {"frequentist": 0, "sequential": 0}
    for _ in range(runs):
        a = rng.binomial(daily, 0.1, size=days).cumsum()
        b = rng.binomial(daily, 0.1, size=days).cumsum()
        for method in false_winners:
            looks = (
                analyze(
                    proportion(int(a[d]), daily * (d + 1)),
                    proportion(int(b[d]), daily * (d + 1)),
                    method=method,  # type: ignore[arg-type]
                    difference="absolute",
                ).significant
                for d in range(days)
            )
            false_winners[method] += any(looks)
    assert false_winners["frequentist"] / runs > 0.15  # far above the nominal 5%
    assert false_winners["sequential"] / runs <= 0.05


def test_srm_flags_a_52_48_split_and_passes_a_fair_one() -> None:
    assert srm_p_value([10_400, 9_600], [0.5, 0.5]) < 0.001
    assert srm_p_value([10_050, 9_950], [0.5, 0.5]) > 0.3
    assert srm_p_value([0, 0, 0], [1, 1, 1]) == 1.0


def test_srm_ignores_arms_planned_at_zero_weight() -> None:
    # an arm planned at 0 has no expected count to divide by: it is left out of the statistic
    assert srm_p_value([5000, 5000, 0], [0.5, 0.5, 0.0]) == pytest.approx(1.0)
    assert srm_p_value([5000, 4000, 0], [0.5, 0.5, 0.0]) < 0.001


@pytest.mark.parametrize(
    ("counts", "weights", "argument"),
    [
        ([10, 10], [0.5, 0.25, 0.25], "weights"),
        ([10, -1], [0.5, 0.5], r"observed_counts\[1\]"),
        ([10, 10], [0.5, -0.5], r"weights\[1\]"),
        ([10, 10], [0.0, 0.0], "weights"),
        ([10], [1.0], "observed_counts"),
    ],
)
def test_srm_bad_input_names_the_argument(
    counts: list[int], weights: list[float], argument: str
) -> None:
    with pytest.raises(ValueError, match=f"^{argument}:"):
        srm_p_value(counts, weights)


def test_numpy_inputs_are_accepted() -> None:
    arm = proportion(np.int64(40), np.int64(400))
    assert arm.n == 400 and isinstance(arm.n, int)
    result = analyze(arm, proportion(60, 400), method="frequentist")
    assert result.p_value is not None and math.isfinite(result.p_value)
