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


def _samples(
    arms: Mapping[str, ArmStats], names: list[str], rng: np.random.Generator, draws: int
) -> NDArray[np.float64]:
    """``draws`` joint draws of the arms' means (one column per arm)."""
    if draws < 1:
        raise ValueError(f"draws: must be >= 1, got {draws}")
    for name in names:
        if arms[name].n < MIN_UNITS:
            raise ValueError(f"arms[{name!r}]: needs n >= {MIN_UNITS} for a posterior")
    centres = np.array([arms[name].mean for name in names])
    spreads = np.array([math.sqrt(max(arms[name].variance, 0.0) / arms[name].n) for name in names])
    return np.asarray(rng.normal(centres, spreads, size=(draws, len(names))))


def _wins(samples: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per draw, each arm's share of the win (ties share it, so no arm is favoured by its
    position)."""
    winners = samples == samples.max(axis=1, keepdims=True)
    return np.asarray(winners / winners.sum(axis=1, keepdims=True))


def best_arm_probabilities(
    arms: Mapping[str, ArmStats], rng: np.random.Generator, draws: int = DRAWS
) -> dict[str, float]:
    """P(arm is best) for each arm, by Monte Carlo over the arms' posteriors.

    Ties (arms with identical or zero-width posteriors) share the win equally, so no arm is
    favoured by its position in the mapping. Every arm needs at least two units.
    """
    names = _names(arms)
    shares = _wins(_samples(arms, names, rng, draws)).mean(axis=0)
    return {name: float(p) for name, p in zip(names, shares, strict=True)}


def top_two_thompson(
    arms: Mapping[str, ArmStats],
    *,
    rng: np.random.Generator,
    floor: float = 0.01,
    beta: float = 0.5,
    draws: int = DRAWS,
) -> dict[str, float]:
    """Traffic weights per arm, summing to 1 with none below ``floor``.

    With probability ``beta`` the leader sampled by Thompson is played; otherwise the
    challenger: the arm that is best in a fresh draw where the leader is not,
    a_i = beta·p_i + (1 - beta)·Σ_{j≠i} p_j·P(i best | j not best). Both terms come from the
    same joint draws. When the leader wins every draw, its challenger is the arm most often
    best among the others, so a clearly worst arm stays at the floor.
    """
    names = _names(arms)
    check_beta(beta)
    check_floor(floor, len(names))
    informed = [name for name in names if arms[name].n >= MIN_UNITS]
    share = 1 / len(names)
    weights = {name: share for name in names}
    if len(informed) >= 2:
        samples = _samples({name: arms[name] for name in informed}, informed, rng, draws)
        allocation = _top_two(samples, beta)
        pot = share * len(informed)
        weights.update({name: pot * float(a) for name, a in zip(informed, allocation, strict=True)})
    return _with_floor(weights, floor)


def check_beta(beta: float) -> None:
    """``beta``, the chance that the leader is played, must be a probability."""
    if not 0 <= beta <= 1:
        raise ValueError(f"beta: must be between 0 and 1, got {beta}")


def check_floor(floor: float, arms: int) -> None:
    """``floor`` must leave room for every one of ``arms`` arms: at most an even share."""
    if not 0 <= floor <= 1 / arms:
        raise ValueError(f"floor: must be between 0 and 1/{arms} arms, got {floor}")


def _top_two(samples: NDArray[np.float64], beta: float) -> NDArray[np.float64]:
    """Allocation from joint draws: the leader's share and, for each possible leader j, the
    challenger's distribution (best in the draws j does not win; best among the others when j
    wins every draw, where the resampling would never end)."""
    wins = _wins(samples)
    p = wins.mean(axis=0)
    k = samples.shape[1]
    out = beta * p
    for j in range(k):
        if p[j] <= 0:
            continue
        lost = 1.0 - wins[:, j]  # how much of each draw j does not win
        if lost.sum() > 0:
            challenger = (lost[:, None] * wins).sum(axis=0)
        else:
            others = samples.copy()
            others[:, j] = -np.inf
            challenger = _wins(others).sum(axis=0)
        challenger[j] = 0.0
        out = out + (1 - beta) * p[j] * challenger / challenger.sum()
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
