"""Proof by simulation that the experiment statistics keep their promises.

Peeking: an experiment page is looked at every day, and whoever looks stops at the first
"significant" result. With the plain test (no correction for looking again) thirty looks at an
A/A experiment -- two identical arms -- declare a winner far more often than ``alpha``; the
sequential method is built to stay at or below ``alpha`` however often it is read.
:func:`aa_peeking` counts both. :func:`ab_detection` checks the other side: an arm that really
is better is found, and after how much traffic.

Data generation is vectorised (one ``numpy`` draw for every run and day); the analysis is the real
:func:`leadflow.experiments.stats.analyze`, called once per look as the product would.
Everything is reproducible from ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from leadflow.experiments.stats import Difference, Method, analyze, proportion
from leadflow.model.plain import AsDict

__all__ = [
    "DetectionResult",
    "Difference",
    "Method",
    "PeekingResult",
    "Quartiles",
    "Rate",
    "aa_peeking",
    "ab_detection",
    "cumulative_conversions",
    "first_significant_day",
    "require_at_least",
]
Counts = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True, slots=True)
class Rate(AsDict):
    """A share of runs with its 95% Wilson interval (the binomial noise of the simulation)."""

    hits: int
    runs: int
    rate: float
    low: float
    high: float

    @classmethod
    def of(cls, hits: int, runs: int) -> Rate:
        ci = sps.binomtest(hits, runs).proportion_ci(confidence_level=0.95, method="wilson")
        return cls(hits, runs, hits / runs, float(ci.low), float(ci.high))


@dataclass(frozen=True, slots=True)
class PeekingResult(AsDict):
    """False winners in A/A runs looked at daily.

    ``sequential`` and ``plain_peeking`` count runs with a significant result at any daily look;
    ``plain_final`` counts runs whose plain test is significant at the last look alone, so the
    gap between the two plain rates is what peeking costs. ``min_conversions`` (sequential
    only) skips looks before each arm has that many conversions.
    """

    runs: int
    days: int
    daily_per_arm: int
    base_rate: float
    alpha: float
    tuning: float
    difference: Difference
    min_conversions: int
    seed: int
    sequential: Rate
    plain_peeking: Rate
    plain_final: Rate


@dataclass(frozen=True, slots=True)
class Quartiles:
    low: float
    median: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Quartiles | None:
        """Quartiles of ``values``; None when there are none."""
        if not values:
            return None
        q1, q2, q3 = np.percentile(values, [25, 50, 75])
        return cls(float(q1), float(q2), float(q3))


@dataclass(frozen=True, slots=True)
class DetectionResult(AsDict):
    """A/B runs with a true lift: how often, and how soon, the treatment is declared better.

    ``detected`` counts runs significant with a positive effect at some daily look;
    ``wrong_way`` those whose first significant look had the effect pointing the wrong way (a
    false loser); ``sample`` is the total units in both arms at first detection, ``day`` the
    look it happened at. ``fixed_horizon`` is the plain test read once, at the last day, for
    comparison: what a single unpeeked look would find.
    """

    runs: int
    days: int
    daily_per_arm: int
    base_rate: float
    lift: float
    method: Method
    difference: Difference
    alpha: float
    tuning: float
    seed: int
    total_sample: int
    detected: Rate
    wrong_way: Rate
    fixed_horizon: Rate
    sample: Quartiles | None
    day: Quartiles | None


def _require(name: str, ok: bool, problem: str) -> None:
    if not ok:
        raise ValueError(f"{name}: {problem}")


def require_at_least(name: str, value: int, least: int) -> None:
    """ValueError ``<name>: must be at least <least>, got <value>`` when ``value`` is less."""
    _require(name, value >= least, f"must be at least {least}, got {value}")


def _check_common(runs: int, days: int, daily_per_arm: int, base_rate: float, alpha: float) -> None:
    require_at_least("runs", runs, 1)
    require_at_least("days", days, 1)
    require_at_least("daily_per_arm", daily_per_arm, 2)
    _require("base_rate", 0.0 < base_rate < 1.0, f"must be between 0 and 1, got {base_rate}")
    _require("alpha", 0.0 < alpha < 1.0, f"must be between 0 and 1, got {alpha}")


def cumulative_conversions(
    rng: np.random.Generator,
    *,
    runs: int,
    days: int,
    daily_per_arm: int,
    rates: tuple[float, float],
) -> Counts:
    """(runs, days, 2) conversions so far in each arm at the end of each day."""
    daily = rng.binomial(daily_per_arm, rates, size=(runs, days, 2))
    cumulative: Counts = np.cumsum(daily, axis=1, dtype=np.int64)
    return cumulative


def _significant(
    successes: Counts,
    n: int,
    *,
    method: Method,
    difference: Difference,
    alpha: float,
    tuning: float,
) -> tuple[bool, float]:
    """Is one look at (control, treatment) conversions significant, and the effect's sign."""
    result = analyze(
        proportion(int(successes[0]), n),
        proportion(int(successes[1]), n),
        method=method,
        difference=difference,
        alpha=alpha,
        tuning=tuning,
    )
    if result.error is not None or result.effect is None:
        return False, 0.0
    return result.significant, result.effect


def first_significant_day(
    run: Counts,
    daily_per_arm: int,
    *,
    method: Method,
    difference: Difference,
    alpha: float,
    tuning: float,
    min_conversions: int = 0,
) -> tuple[int, float] | None:
    """The first daily look (1-based) that is significant, with its effect; None if none is.
    A look counts only once each arm has ``min_conversions`` (as an experiment's review)."""
    for day in range(run.shape[0]):
        if min(run[day]) < min_conversions:
            continue
        n = daily_per_arm * (day + 1)
        significant, effect = _significant(
            run[day], n, method=method, difference=difference, alpha=alpha, tuning=tuning
        )
        if significant:
            return day + 1, effect
    return None


def aa_peeking(
    *,
    runs: int,
    days: int = 30,
    daily_per_arm: int,
    base_rate: float,
    alpha: float = 0.05,
    tuning: float = 5000,
    difference: Difference = "relative",
    min_conversions: int = 0,
    seed: int,
) -> PeekingResult:
    """A/A experiments (both arms convert at ``base_rate``) looked at once a day for ``days``;
    with ``min_conversions``, a look counts only once each arm has that many conversions (the
    sequential rate then is what an auto-applying experiment would do)."""
    _check_common(runs, days, daily_per_arm, base_rate, alpha)
    _require("min_conversions", min_conversions >= 0, f"must be >= 0, got {min_conversions}")
    rng = np.random.default_rng(seed)
    data = cumulative_conversions(
        rng, runs=runs, days=days, daily_per_arm=daily_per_arm, rates=(base_rate, base_rate)
    )
    options: dict[str, Any] = {"difference": difference, "alpha": alpha, "tuning": tuning}
    sequential = plain = final = 0
    for run in data:
        if first_significant_day(
            run, daily_per_arm, method="sequential", min_conversions=min_conversions, **options
        ):
            sequential += 1
        if first_significant_day(run, daily_per_arm, method="frequentist", **options):
            plain += 1
        last, _ = _significant(run[-1], daily_per_arm * days, method="frequentist", **options)
        final += last
    return PeekingResult(
        runs=runs,
        days=days,
        daily_per_arm=daily_per_arm,
        base_rate=base_rate,
        alpha=alpha,
        tuning=tuning,
        difference=difference,
        min_conversions=min_conversions,
        seed=seed,
        sequential=Rate.of(sequential, runs),
        plain_peeking=Rate.of(plain, runs),
        plain_final=Rate.of(final, runs),
    )


def ab_detection(
    *,
    runs: int,
    days: int = 30,
    daily_per_arm: int,
    base_rate: float,
    lift: float = 0.20,
    method: Method = "sequential",
    alpha: float = 0.05,
    tuning: float = 5000,
    difference: Difference = "relative",
    seed: int,
) -> DetectionResult:
    """A/B experiments whose treatment converts at ``base_rate * (1 + lift)``, looked at daily."""
    _check_common(runs, days, daily_per_arm, base_rate, alpha)
    treated = base_rate * (1.0 + lift)
    _require("lift", 0.0 < treated < 1.0, f"puts the treatment rate at {treated}, outside (0, 1)")
    rng = np.random.default_rng(seed)
    data = cumulative_conversions(
        rng, runs=runs, days=days, daily_per_arm=daily_per_arm, rates=(base_rate, treated)
    )
    options: dict[str, Any] = {"difference": difference, "alpha": alpha, "tuning": tuning}
    found_days: list[int] = []
    wrong = fixed = 0
    for run in data:
        first = first_significant_day(run, daily_per_arm, method=method, **options)
        if first is not None:
            day, effect = first
            if effect > 0:
                found_days.append(day)
            else:
                wrong += 1
        last, effect = _significant(run[-1], daily_per_arm * days, method="frequentist", **options)
        fixed += last and effect > 0
    return DetectionResult(
        runs=runs,
        days=days,
        daily_per_arm=daily_per_arm,
        base_rate=base_rate,
        lift=lift,
        method=method,
        difference=difference,
        alpha=alpha,
        tuning=tuning,
        seed=seed,
        total_sample=2 * daily_per_arm * days,
        detected=Rate.of(len(found_days), runs),
        wrong_way=Rate.of(wrong, runs),
        fixed_horizon=Rate.of(fixed, runs),
        sample=Quartiles.of([2 * daily_per_arm * d for d in found_days]),
        day=Quartiles.of(found_days),
    )
