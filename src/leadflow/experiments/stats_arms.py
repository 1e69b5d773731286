"""An arm's sufficient statistics, and their CUPED-adjusted form.

Arms are described by sums rather than raw rows so that a warehouse query or an event counter can
feed them directly: a proportion needs (successes, n), a mean needs (total, sum of squares, n).
Variance conventions follow GrowthBook's stats engine so results agree with it: a proportion's
variance is p(1-p) and a mean's is the unbiased (ss - s²/n)/(n-1).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal

Kind = Literal["proportion", "mean"]
KINDS: tuple[Kind, ...] = ("proportion", "mean")


@dataclass(frozen=True, slots=True)
class ArmStats:
    """One arm's counts: ``total`` is Σy (successes for a proportion), ``sum_squares`` Σy².

    ``pre`` holds the same unit's pre-period covariate and ``sum_products`` Σ(post·pre); when
    both arms of a comparison carry them the analysis is CUPED-adjusted.
    """

    kind: Kind
    n: int
    total: float
    sum_squares: float
    pre: ArmStats | None = None
    sum_products: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind: must be one of {', '.join(KINDS)}, got {self.kind!r}")
        _check_count("n", self.n)
        _check_finite("total", self.total)
        _check_finite("sum_squares", self.sum_squares)
        _check_pre(self.n, self.pre, self.sum_products)

    @property
    def mean(self) -> float:
        """Σy / n, 0 for an empty arm."""
        return 0.0 if self.n == 0 else self.total / self.n

    @property
    def variance(self) -> float:
        """p(1-p) for a proportion; the unbiased sample variance (0 below two units) for a mean."""
        if self.kind == "proportion":
            return self.mean * (1.0 - self.mean)
        if self.n <= 1:
            return 0.0
        return (self.sum_squares - self.total**2 / self.n) / (self.n - 1)

    @property
    def covariance(self) -> float:
        """Sample covariance of post and pre values (0 without a pre period or below two units)."""
        if self.pre is None or self.sum_products is None or self.n <= 1:
            return 0.0
        return (self.sum_products - self.total * self.pre.total / self.n) / (self.n - 1)


def proportion(
    successes: float,
    n: int,
    *,
    pre: ArmStats | None = None,
    sum_products: float | None = None,
) -> ArmStats:
    """A conversion-style arm: ``successes`` of ``n`` units converted."""
    _check_count("n", n)
    _check_finite("successes", successes)
    if successes < 0:
        raise ValueError(f"successes: must be >= 0, got {successes}")
    if successes > n:
        raise ValueError(f"successes: {successes} exceeds n={n}")
    return ArmStats("proportion", int(n), float(successes), float(successes), pre, sum_products)


def mean(
    total: float,
    sum_squares: float,
    n: int,
    *,
    pre: ArmStats | None = None,
    sum_products: float | None = None,
) -> ArmStats:
    """A continuous-metric arm (revenue, replies...): Σy, Σy² and the unit count."""
    _check_count("n", n)
    _check_finite("total", total)
    _check_finite("sum_squares", sum_squares)
    if sum_squares < 0:
        raise ValueError(f"sum_squares: must be >= 0, got {sum_squares}")
    return ArmStats("mean", int(n), float(total), float(sum_squares), pre, sum_products)


@dataclass(frozen=True, slots=True)
class Moments:
    """What a test needs from an arm: the (possibly adjusted) mean, its variance, the raw mean."""

    n: int
    mean: float
    variance: float
    unadjusted_mean: float


def plain(arm: ArmStats) -> Moments:
    """The arm's moments without any adjustment."""
    return Moments(arm.n, arm.mean, arm.variance, arm.mean)


def adjusted(arm: ArmStats, theta: float) -> Moments:
    """CUPED moments: y - θ·x has mean ȳ - θx̄ and variance v_y + θ²v_x - 2θ·cov."""
    if arm.pre is None:
        raise ValueError("pre: CUPED needs the arm's pre-period statistics")
    variance = 0.0
    if arm.n > 1:
        variance = arm.variance + theta**2 * arm.pre.variance - 2 * theta * arm.covariance
    return Moments(arm.n, arm.mean - theta * arm.pre.mean, variance, arm.mean)


def cuped_theta(control: ArmStats, treatment: ArmStats) -> float:
    """θ = pooled cov(post, pre) / pooled var(pre) over both arms; 0 when either has no spread.

    Pooling over both arms keeps θ independent of the treatment, so the adjusted difference stays
    unbiased.
    """
    if control.pre is None or treatment.pre is None:
        return 0.0
    post = _pooled(control, treatment)
    pre = _pooled(control.pre, treatment.pre)
    if pre.variance == 0 or post.variance == 0:
        return 0.0
    products = (control.sum_products or 0.0) + (treatment.sum_products or 0.0)
    joint = ArmStats(post.kind, post.n, post.total, post.sum_squares, pre, products)
    return joint.covariance / pre.variance


def _pooled(a: ArmStats, b: ArmStats) -> ArmStats:
    return ArmStats(a.kind, a.n + b.n, a.total + b.total, a.sum_squares + b.sum_squares)


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: must be a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: must be >= 0, got {value}")


def _check_finite(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")


def _check_pre(n: int, pre: ArmStats | None, sum_products: float | None) -> None:
    if pre is None:
        if sum_products is not None:
            raise ValueError("sum_products: given without pre")
        return
    if not isinstance(pre, ArmStats):
        raise ValueError(f"pre: must be ArmStats, got {type(pre).__name__}")
    if sum_products is None:
        raise ValueError("sum_products: required when pre is given (Σ post·pre)")
    _check_finite("sum_products", sum_products)
    if pre.pre is not None:
        raise ValueError("pre: a pre-period arm cannot carry its own pre")
    if pre.n != n:
        raise ValueError(f"pre: n={pre.n} differs from the arm's n={n}")
