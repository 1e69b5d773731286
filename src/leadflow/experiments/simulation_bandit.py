"""Proof by simulation that the bandit moves traffic to the best arm.

Each simulated day brings ``daily_total`` new entrants, split between the arms by the current
weights (one multinomial draw; every entrant is new, so sticky assignment plays no part). Each
arm converts at its hidden rate. At each review, once every arm has ``min_sample`` units, the
weights are recomputed by :func:`leadflow.experiments.bandit.top_two_thompson` from the counts so
far, exactly as a live experiment would be reweighted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from leadflow.definitions.experiment_model import DEFAULT_BANDIT_BETA
from leadflow.experiments.bandit import check_beta, check_floor, top_two_thompson
from leadflow.experiments.simulation import Quartiles, Rate, require_at_least
from leadflow.experiments.stats import proportion
from leadflow.model.plain import AsDict

LAST_WEEK = 7
Seed = int | np.random.SeedSequence


@dataclass(frozen=True, slots=True)
class BanditResult(AsDict):
    """One bandit experiment.

    ``share`` is each arm's part of all traffic over the period, ``last_week_share`` over the
    last seven days (or all of them if fewer); ``weights`` are the weights after the last review;
    ``day_best_over_half`` is the first day (1-based) on which the best arm received more than
    half of the day's new traffic, None if it never did. ``conversions`` compares with
    ``equal_split_conversions``, what the same traffic would expect split evenly.
    """

    best: str
    days: int
    daily_total: int
    share: dict[str, float]
    last_week_share: dict[str, float]
    weights: dict[str, float]
    day_best_over_half: int | None
    conversions: int
    equal_split_conversions: float


@dataclass(frozen=True, slots=True)
class BanditSummary(AsDict):
    """Many bandit experiments with the same arms.

    ``best_most_traffic``: runs where the best arm got more traffic than any other over the
    period; ``best_last_week_majority``: runs where it got more than half in the last week;
    ``best_share`` and ``best_last_week_share``: quartiles of its share over runs;
    ``day_best_over_half``: quartiles of that day over the runs that reached it;
    ``worst_last_week_share``: quartiles of the worst arm's share in the last week.
    """

    runs: int
    days: int
    daily_total: int
    rates: dict[str, float]
    best: str
    beta: float
    seed: int
    best_most_traffic: Rate
    best_last_week_majority: Rate
    best_share: Quartiles
    best_last_week_share: Quartiles
    worst_last_week_share: Quartiles
    day_best_over_half: Quartiles | None
    reached_half: Rate
    conversion_gain: float  # conversions over an even split, relative, pooled over runs


def _check(
    days: int,
    daily_total: int,
    rates: Mapping[str, float],
    review_every_days: int,
    min_sample: int,
    floor: float,
    beta: float,
) -> str:
    """Validate the arguments before any traffic is drawn; return the best arm's name."""
    require_at_least("days", days, 1)
    require_at_least("daily_total", daily_total, 1)
    require_at_least("review_every_days", review_every_days, 1)
    require_at_least("min_sample", min_sample, 1)
    if len(rates) < 2:
        raise ValueError(f"rates: need at least two arms, got {len(rates)}")
    check_floor(floor, len(rates))
    check_beta(beta)
    for name, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rates: arm {name!r} has rate {rate}, outside [0, 1]")
    ordered = sorted(rates.values(), reverse=True)
    if ordered[0] == ordered[1]:
        raise ValueError("rates: the best rate is shared by two arms, so no arm is best")
    return max(rates, key=lambda name: rates[name])


def _shares(names: list[str], counts: np.ndarray[Any, Any]) -> dict[str, float]:
    total = float(counts.sum())
    return {name: float(c) / total for name, c in zip(names, counts, strict=True)}


def bandit_run(
    *,
    days: int,
    daily_total: int,
    rates: Mapping[str, float],
    floor: float = 0.01,
    beta: float = DEFAULT_BANDIT_BETA,
    min_sample: int = 100,
    review_every_days: int = 1,
    seed: Seed,
) -> BanditResult:
    """Run one bandit experiment for ``days`` days over arms converting at ``rates``."""
    best = _check(days, daily_total, rates, review_every_days, min_sample, floor, beta)
    rng = np.random.default_rng(seed)
    names = list(rates)
    p = np.array([rates[name] for name in names])
    weights = np.full(len(names), 1.0 / len(names))
    traffic = np.zeros((days, len(names)), dtype=np.int64)
    n = np.zeros(len(names), dtype=np.int64)
    successes = np.zeros(len(names), dtype=np.int64)
    first_half: int | None = None
    b = names.index(best)
    for day in range(days):
        allocated = rng.multinomial(daily_total, weights)
        traffic[day] = allocated
        n += allocated
        successes += rng.binomial(allocated, p)
        if first_half is None and allocated[b] * 2 > daily_total:
            first_half = day + 1
        if (day + 1) % review_every_days == 0 and n.min() >= min_sample:
            arms = {
                name: proportion(int(s), int(k))
                for name, s, k in zip(names, successes, n, strict=True)
            }
            new = top_two_thompson(arms, rng=rng, floor=floor, beta=beta)
            weights = np.array([new[name] for name in names])
            weights /= weights.sum()  # guards the multinomial against rounding
    return BanditResult(
        best=best,
        days=days,
        daily_total=daily_total,
        share=_shares(names, traffic.sum(axis=0)),
        last_week_share=_shares(names, traffic[-LAST_WEEK:].sum(axis=0)),
        weights=dict(zip(names, weights.tolist(), strict=True)),
        day_best_over_half=first_half,
        conversions=int(successes.sum()),
        equal_split_conversions=float(days * daily_total * p.mean()),
    )


def bandit_runs(
    *,
    runs: int,
    days: int,
    daily_total: int,
    rates: Mapping[str, float],
    floor: float = 0.01,
    beta: float = DEFAULT_BANDIT_BETA,
    min_sample: int = 100,
    review_every_days: int = 1,
    seed: int,
) -> BanditSummary:
    """``runs`` independent bandit experiments (seeds spawned from ``seed``), summarised."""
    require_at_least("runs", runs, 1)
    results = [
        bandit_run(
            days=days,
            daily_total=daily_total,
            rates=rates,
            floor=floor,
            beta=beta,
            min_sample=min_sample,
            review_every_days=review_every_days,
            seed=child,
        )
        for child in np.random.SeedSequence(seed).spawn(runs)
    ]
    best = results[0].best
    worst = min(rates, key=lambda name: rates[name])
    shares = [r.share[best] for r in results]
    last_week = [r.last_week_share[best] for r in results]
    most = sum(r.share[best] == max(r.share.values()) for r in results)
    majority = sum(s > 0.5 for s in last_week)
    reached = [r.day_best_over_half for r in results if r.day_best_over_half is not None]
    gained = sum(r.conversions for r in results) / sum(r.equal_split_conversions for r in results)
    return BanditSummary(
        runs=runs,
        days=days,
        daily_total=daily_total,
        rates=dict(rates),
        best=best,
        beta=beta,
        seed=seed,
        best_most_traffic=Rate.of(most, runs),
        best_last_week_majority=Rate.of(majority, runs),
        best_share=_some(Quartiles.of(shares)),
        best_last_week_share=_some(Quartiles.of(last_week)),
        worst_last_week_share=_some(Quartiles.of([r.last_week_share[worst] for r in results])),
        day_best_over_half=Quartiles.of(reached),
        reached_half=Rate.of(len(reached), runs),
        conversion_gain=gained - 1.0,
    )


def _some(quartiles: Quartiles | None) -> Quartiles:
    if quartiles is None:  # pragma: no cover - runs >= 1 is checked first
        raise ValueError("runs: no results to summarise")
    return quartiles
