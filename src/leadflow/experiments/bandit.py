"""Adaptive allocation: top-two Thompson sampling over Gaussian posteriors of the arms.

Each arm's mean is taken as Normal(mean, variance / n), the large-sample posterior under a flat
prior, which fits both conversion rates and continuous metrics. Plain Thompson sampling pours
nearly all traffic into the leader once it is ahead; the top-two variant keeps sending a share
(1 - beta) to the most likely challenger, so the best arm is identified faster, and a floor keeps
every arm measurable. Arms with fewer than two units carry no information yet and get an equal
share. All randomness comes from the caller's generator, so a seeded run reproduces.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from leadflow.experiments.stats_arms import ArmStats

DRAWS = 10_000
MIN_UNITS = 2


def best_arm_probabilities(
    arms: Mapping[str, ArmStats], rng: np.random.Generator, draws: int = DRAWS
) -> dict[str, float]:
    """P(arm is best) for each arm, by Monte Carlo over the arms' posteriors.

    Ties (arms with identical or zero-width posteriors) share the win equally, so no arm is
    favoured by its position in the mapping. Every arm needs at least two units.
    """
    names = _names(arms)
    if draws < 1:
        raise ValueError(f"draws: must be >= 1, got {draws}")
    for name in names:
        if arms[name].n < MIN_UNITS:
            raise ValueError(f"arms[{name!r}]: needs n >= {MIN_UNITS} for a posterior")
    centres = np.array([arms[name].mean for name in names])
    spreads = np.array([math.sqrt(max(arms[name].variance, 0.0) / arms[name].n) for name in names])
    samples = rng.normal(centres, spreads, size=(draws, len(names)))
    winners = samples == samples.max(axis=1, keepdims=True)
    shares = winners / winners.sum(axis=1, keepdims=True)
    return {name: float(p) for name, p in zip(names, shares.mean(axis=0), strict=True)}


def top_two_thompson(
    arms: Mapping[str, ArmStats],
    *,
    rng: np.random.Generator,
    floor: float = 0.01,
    beta: float = 0.5,
    draws: int = DRAWS,
) -> dict[str, float]:
    """Traffic weights per arm, summing to 1 with none below ``floor``.

    a_i = beta·p_i + (1 - beta)·Σ_{j≠i} p_j·p_i / (1 - p_j): with probability beta the leader
    sampled by Thompson is played, otherwise the challenger drawn from the remaining arms.
    """
    names = _names(arms)
    if not 0 <= beta <= 1:
        raise ValueError(f"beta: must be between 0 and 1, got {beta}")
    if not 0 <= floor <= 1 / len(names):
        raise ValueError(f"floor: must be between 0 and 1/{len(names)} arms, got {floor}")
    informed = [name for name in names if arms[name].n >= MIN_UNITS]
    share = 1 / len(names)
    weights = {name: share for name in names}
    if len(informed) >= 2:
        p = best_arm_probabilities({name: arms[name] for name in informed}, rng, draws)
        allocation = _top_two(np.array([p[name] for name in informed]), beta)
        pot = share * len(informed)
        weights.update({name: pot * float(a) for name, a in zip(informed, allocation, strict=True)})
    return _with_floor(weights, floor)


def _top_two(p: NDArray[np.float64], beta: float) -> NDArray[np.float64]:
    """Allocation from best-arm probabilities (a sure leader's challenger share goes evenly)."""
    k = len(p)
    out = beta * p
    for j in range(k):
        others = np.arange(k) != j
        rest = 1 - p[j]
        challenger = p * others / rest if rest > 1e-12 else others / (k - 1)
        out = out + (1 - beta) * p[j] * challenger
    return np.asarray(out / out.sum())


def _with_floor(weights: dict[str, float], floor: float) -> dict[str, float]:
    """Raise arms to ``floor`` and take the difference proportionally from the others."""
    fixed: set[str] = set()
    out = dict(weights)
    while True:
        low = {name for name, w in out.items() if name not in fixed and w < floor}
        if not low:
            return out
        fixed |= low
        free = [name for name in out if name not in fixed]
        left = 1 - floor * len(fixed)
        free_total = sum(weights[name] for name in free)
        for name in fixed:
            out[name] = floor
        for name in free:
            out[name] = left * weights[name] / free_total if free_total > 0 else left / len(free)


def _names(arms: Mapping[str, ArmStats]) -> list[str]:
    if not arms:
        raise ValueError("arms: at least one arm is needed")
    for name, arm in arms.items():
        if not isinstance(arm, ArmStats):
            raise ValueError(f"arms[{name!r}]: must be built with proportion() or mean()")
    return list(arms)
