"""Reference numbers from GrowthBook's open-source stats engine for leadflow's A/B statistics.

leadflow.experiments.stats promises the same numbers as gbstats for the same inputs (to four
decimal places). This script runs gbstats over a documented set of cases and prints them as JSON;
the output is stored as tests/fixtures/experiments/gbstats_reference.json and
tests/unit/experiments/test_stats_reference.py checks every case against leadflow.

Produced with gbstats 0.8.0 (Python 3.11) in a separate virtual environment:

    python -m venv /tmp/gbvenv && /tmp/gbvenv/bin/pip install gbstats==0.8.0
    /tmp/gbvenv/bin/python scripts/gbstats_reference.py \
        > tests/fixtures/experiments/gbstats_reference.json

gbstats is deliberately not a leadflow dependency: it pins numpy<2 and pandas<2, which would
hold the whole project back, and leadflow only needs its formulas, not its runner. Inputs are
sufficient statistics (n, Σy, Σy², and for CUPED the pre-period sums and Σ post·pre); the
synthetic data behind the CUPED and mean cases come from a seeded generator so re-running the
script reproduces the file exactly.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from typing import Any

import numpy as np
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.frequentist.tests import (
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import (
    ProportionStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from gbstats.utils import check_srm

Arm = dict[str, Any]

# gbstats' messages and the code leadflow reports for the same case. gbstats checks the baseline
# before emptiness, so an empty control shows up there as a zero baseline; leadflow names it.
CODES = {
    "ZERO_NEGATIVE_BASELINE_VARIATION": "zero_baseline",
    "NO_UNITS_IN_VARIATION": "empty_arm",
    "ZERO_NEGATIVE_VARIANCE": "zero_variance",
}


def leadflow_code(control: Arm, treatment: Arm, message: str | None) -> str | None:
    """The error code leadflow gives: an empty arm is named as such whatever gbstats says."""
    if message is None:
        return None
    if control["n"] == 0 or treatment["n"] == 0:
        return "empty_arm"
    return CODES[message]


def prop(successes: int, n: int) -> Arm:
    return {"kind": "proportion", "n": n, "total": successes, "sum_squares": successes}


def mean_of(values: np.ndarray) -> Arm:
    return {
        "kind": "mean",
        "n": len(values),
        "total": float(values.sum()),
        "sum_squares": float((values**2).sum()),
    }


def with_pre(post_values: np.ndarray, pre_values: np.ndarray, binary: bool = False) -> Arm:
    post = mean_of(post_values)
    pre = mean_of(pre_values)
    if binary:
        post["kind"] = "proportion"
    post["pre"] = pre
    post["sum_products"] = float((post_values * pre_values).sum())
    return post


def gb_stat(arm: Arm) -> Any:
    if "pre" in arm:
        plain = {k: v for k, v in arm.items() if k not in ("pre", "sum_products")}
        return RegressionAdjustedStatistic(
            n=arm["n"],
            post_statistic=gb_stat(plain),
            pre_statistic=gb_stat(arm["pre"]),
            post_pre_sum_of_products=arm["sum_products"],
            theta=0,
        )
    if arm["kind"] == "proportion":
        return ProportionStatistic(n=arm["n"], sum=arm["total"])
    return SampleMeanStatistic(n=arm["n"], sum=arm["total"], sum_squares=arm["sum_squares"])


def run(control: Arm, treatment: Arm, options: dict[str, Any]) -> dict[str, Any]:
    a, b = gb_stat(control), gb_stat(treatment)
    method, difference = options["method"], options.get("difference", "relative")
    alpha = options.get("alpha", 0.05)
    if method == "frequentist":
        res = TwoSidedTTest(a, b, FrequentistConfig(alpha=alpha, difference_type=difference))
    elif method == "sequential":
        config = SequentialConfig(
            alpha=alpha,
            difference_type=difference,
            sequential_tuning_parameter=options.get("tuning", 5000),
        )
        res = SequentialTwoSidedTTest(a, b, config)
    else:
        proper = "prior_mean" in options
        prior = GaussianPrior(
            mean=options.get("prior_mean", 0),
            variance=options.get("prior_variance", 1),
            proper=proper,
        )
        config = EffectBayesianConfig(
            alpha=alpha, difference_type=difference, prior_type=difference, prior_effect=prior
        )
        res = EffectBayesianABTest(a, b, config)
    out = res.compute_result()
    row: dict[str, Any] = {
        "effect": float(out.expected),
        "ci_low": float(out.ci[0]),
        "ci_high": float(out.ci[1]),
        "std_error": float(out.uplift.stddev),
        "p_value": float(out.p_value) if hasattr(out, "p_value") else None,
        "chance_to_win": float(out.chance_to_win) if hasattr(out, "chance_to_win") else None,
        "risk": [float(r) for r in out.risk] if hasattr(out, "risk") else None,
        "error": out.error_message,
    }
    return row


def data_cases() -> list[tuple[str, Arm, Arm, dict[str, Any]]]:
    rng = np.random.default_rng(20261122)
    small_a, small_b = prop(3, 10), prop(5, 12)
    base_a, base_b = prop(100, 1000), prop(120, 1000)
    down_a, down_b = prop(300, 2000), prop(240, 2000)
    big_a, big_b = prop(52_000, 1_000_000), prop(52_600, 1_000_000)
    rev_a = rng.gamma(2.0, 25.0, 800)
    rev_b = rng.gamma(2.0, 27.0, 850)
    huge_a = rng.normal(10.0, 4.0, 200_000)
    huge_b = rng.normal(10.05, 4.0, 200_000)
    few_a, few_b = np.array([1.0, 4.0, 2.5]), np.array([3.0, 5.5, 2.0, 6.0])
    lop_a, lop_b = rng.normal(5.0, 2.0, 500), rng.normal(5.3, 3.5, 5000)
    pre_a = rng.gamma(3.0, 10.0, 1500)
    pre_b = rng.gamma(3.0, 10.0, 1500)
    post_a = 0.8 * pre_a + rng.normal(5.0, 8.0, 1500)
    post_b = 0.8 * pre_b + rng.normal(6.0, 8.0, 1500)
    conv_pre_a = rng.binomial(1, 0.2, 3000).astype(float)
    conv_pre_b = rng.binomial(1, 0.2, 3000).astype(float)
    conv_a = np.where(rng.random(3000) < 0.6, conv_pre_a, rng.binomial(1, 0.2, 3000))
    conv_b = np.where(rng.random(3000) < 0.6, conv_pre_b, rng.binomial(1, 0.24, 3000))
    spend_pre_a = rng.gamma(2.0, 5.0, 3000)
    spend_pre_b = rng.gamma(2.0, 5.0, 3000)
    flat_pre = np.full(1500, 7.0)
    f, s, b = "frequentist", "sequential", "bayesian"
    rel, ab = "relative", "absolute"
    cuped_a, cuped_b = with_pre(post_a, pre_a), with_pre(post_b, pre_b)
    return [
        ("proportion lift, t-test", base_a, base_b, {"method": f, "difference": rel}),
        ("proportion difference, t-test", base_a, base_b, {"method": f, "difference": ab}),
        ("proportion lift, sequential M=5000", base_a, base_b, {"method": s, "difference": rel}),
        (
            "proportion lift, sequential M=500",
            base_a,
            base_b,
            {"method": s, "difference": rel, "tuning": 500},
        ),
        (
            "proportion difference, sequential M=50000",
            base_a,
            base_b,
            {"method": s, "difference": ab, "tuning": 50000},
        ),
        ("proportion lift, flat prior", base_a, base_b, {"method": b, "difference": rel}),
        ("proportion difference, flat prior", base_a, base_b, {"method": b, "difference": ab}),
        (
            "proportion lift, prior N(0, 0.01)",
            base_a,
            base_b,
            {"method": b, "difference": rel, "prior_mean": 0.0, "prior_variance": 0.01},
        ),
        (
            "proportion difference, prior N(0.01, 1e-4)",
            base_a,
            base_b,
            {"method": b, "difference": ab, "prior_mean": 0.01, "prior_variance": 1e-4},
        ),
        ("negative lift, t-test", down_a, down_b, {"method": f, "difference": rel}),
        ("negative lift, flat prior", down_a, down_b, {"method": b, "difference": rel}),
        (
            "negative difference, sequential M=2000",
            down_a,
            down_b,
            {"method": s, "difference": ab, "tuning": 2000},
        ),
        ("tiny arms lift, t-test", small_a, small_b, {"method": f, "difference": rel}),
        ("tiny arms difference, flat prior", small_a, small_b, {"method": b, "difference": ab}),
        (
            "tiny arms lift, sequential M=100",
            small_a,
            small_b,
            {"method": s, "difference": rel, "tuning": 100},
        ),
        ("million per arm lift, t-test", big_a, big_b, {"method": f, "difference": rel}),
        ("million per arm lift, sequential", big_a, big_b, {"method": s, "difference": rel}),
        ("million per arm lift, flat prior", big_a, big_b, {"method": b, "difference": rel}),
        ("alpha 0.10, t-test", base_a, base_b, {"method": f, "alpha": 0.1}),
        ("alpha 0.01, flat prior", base_a, base_b, {"method": b, "alpha": 0.01}),
        (
            "revenue lift, t-test",
            mean_of(rev_a),
            mean_of(rev_b),
            {"method": f, "difference": rel},
        ),
        (
            "revenue difference, t-test",
            mean_of(rev_a),
            mean_of(rev_b),
            {"method": f, "difference": ab},
        ),
        (
            "revenue lift, sequential M=5000",
            mean_of(rev_a),
            mean_of(rev_b),
            {"method": s, "difference": rel},
        ),
        (
            "revenue difference, sequential M=1000",
            mean_of(rev_a),
            mean_of(rev_b),
            {"method": s, "difference": ab, "tuning": 1000},
        ),
        (
            "revenue lift, flat prior",
            mean_of(rev_a),
            mean_of(rev_b),
            {"method": b, "difference": rel},
        ),
        (
            "revenue difference, prior N(0, 25)",
            mean_of(rev_a),
            mean_of(rev_b),
            {"method": b, "difference": ab, "prior_mean": 0.0, "prior_variance": 25.0},
        ),
        (
            "revenue lift, prior N(0.02, 0.0025)",
            mean_of(rev_a),
            mean_of(rev_b),
            {"method": b, "difference": rel, "prior_mean": 0.02, "prior_variance": 0.0025},
        ),
        (
            "revenue falls, t-test difference",
            mean_of(rev_b),
            mean_of(rev_a),
            {"method": f, "difference": ab},
        ),
        ("three and four units, t-test", mean_of(few_a), mean_of(few_b), {"method": f}),
        ("200k per arm lift, t-test", mean_of(huge_a), mean_of(huge_b), {"method": f}),
        (
            "200k per arm difference, flat prior",
            mean_of(huge_a),
            mean_of(huge_b),
            {"method": b, "difference": ab},
        ),
        (
            "500 vs 5000 unequal variances, t-test",
            mean_of(lop_a),
            mean_of(lop_b),
            {"method": f},
        ),
        ("CUPED revenue lift, t-test", cuped_a, cuped_b, {"method": f, "difference": rel}),
        ("CUPED revenue difference, t-test", cuped_a, cuped_b, {"method": f, "difference": ab}),
        ("CUPED revenue lift, flat prior", cuped_a, cuped_b, {"method": b, "difference": rel}),
        (
            "CUPED revenue difference, sequential M=3000",
            cuped_a,
            cuped_b,
            {"method": s, "difference": ab, "tuning": 3000},
        ),
        (
            "CUPED conversion with a spend covariate, t-test",
            with_pre(conv_a, spend_pre_a, binary=True),
            with_pre(conv_b, spend_pre_b, binary=True),
            {"method": f, "difference": rel},
        ),
        (
            "CUPED conversion with a prior conversion, flat prior",
            _binary_pre(conv_a, conv_pre_a),
            _binary_pre(conv_b, conv_pre_b),
            {"method": b, "difference": ab},
        ),
        (
            "CUPED with a constant covariate (theta 0, unadjusted)",
            with_pre(post_a, flat_pre),
            with_pre(post_b, flat_pre),
            {"method": f, "difference": rel},
        ),
        ("zero baseline, t-test", prop(0, 1000), prop(10, 1000), {"method": f}),
        (
            "zero baseline mean, flat prior",
            {"kind": "mean", "n": 100, "total": 0.0, "sum_squares": 50.0},
            {"kind": "mean", "n": 100, "total": 10.0, "sum_squares": 60.0},
            {"method": b},
        ),
        ("empty treatment, flat prior", prop(10, 100), prop(0, 0), {"method": b}),
        ("empty control, t-test", prop(0, 0), prop(10, 100), {"method": f}),
        (
            "constant metric, t-test difference",
            {"kind": "mean", "n": 100, "total": 500.0, "sum_squares": 2500.0},
            {"kind": "mean", "n": 100, "total": 520.0, "sum_squares": 2900.0},
            {"method": f, "difference": ab},
        ),
        (
            "everyone converted, flat prior difference",
            prop(1000, 1000),
            prop(990, 1000),
            {"method": b, "difference": ab},
        ),
        (
            "single unit per arm, sequential",
            {"kind": "mean", "n": 1, "total": 3.0, "sum_squares": 9.0},
            {"kind": "mean", "n": 1, "total": 4.0, "sum_squares": 16.0},
            {"method": s},
        ),
    ]


def _binary_pre(post: np.ndarray, pre: np.ndarray) -> Arm:
    arm = with_pre(post, pre, binary=True)
    arm["pre"]["kind"] = "proportion"
    return arm


SRM_CASES: list[tuple[str, list[int], list[float]]] = [
    ("two arms, fair", [5000, 5000], [0.5, 0.5]),
    ("two arms, 52/48 of 20k", [10400, 9600], [0.5, 0.5]),
    ("three arms, near even", [3300, 3350, 3350], [1.0, 1.0, 1.0]),
    ("three arms, lopsided", [500, 600, 400], [1.0, 1.0, 1.0]),
    ("four arms, one planned at 0", [1000, 1000, 0, 2000], [0.25, 0.25, 0.0, 0.5]),
    ("four arms, unequal weights", [2000, 990, 1010, 6000], [0.2, 0.1, 0.1, 0.6]),
    ("nothing observed", [0, 0], [0.5, 0.5]),
]


def main() -> None:
    cases: list[dict[str, Any]] = []
    for i, (name, control, treatment, options) in enumerate(data_cases(), start=1):
        expected = run(control, treatment, options)
        cases.append(
            {
                "id": f"ab-{i:02d}",
                "name": name,
                "control": control,
                "treatment": treatment,
                "options": options,
                "expected": expected,
                "expected_code": leadflow_code(control, treatment, expected["error"]),
            }
        )
    srm = [
        {
            "id": f"srm-{i}",
            "name": name,
            "observed_counts": counts,
            "weights": weights,
            "p_value": float(check_srm(counts, weights)),
        }
        for i, (name, counts, weights) in enumerate(SRM_CASES, start=1)
    ]
    doc = {
        "source": f"gbstats {importlib.metadata.version('gbstats')}",
        "produced_by": "scripts/gbstats_reference.py",
        "cases": cases,
        "srm": srm,
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
