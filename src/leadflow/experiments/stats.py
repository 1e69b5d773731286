"""A/B statistics for experiments: effect, interval, p-value or chance to win, risk, SRM.

Callers describe each arm by sufficient statistics (``proportion`` / ``mean``) and call
``analyze``. Three methods are offered: a fixed-horizon Welch t-test ("frequentist"), an
always-valid confidence sequence that may be checked every day ("sequential") and a Gaussian
posterior with chance to win and risk ("bayesian"). Results agree with GrowthBook's open-source
stats engine (gbstats 0.8.0) to four decimal places; tests check this against a stored fixture.

When no answer is possible (an empty arm, a zero baseline for a lift, no variance) the result
carries ``error`` with a stable code prefix and its numbers are None, rather than raising: a
dashboard can show "not enough data" next to other metrics.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from leadflow.experiments.stats_arms import (
    ArmStats,
    Moments,
    adjusted,
    cuped_theta,
    mean,
    plain,
    proportion,
)

__all__ = ["Analysis", "ArmStats", "analyze", "mean", "proportion", "srm_p_value"]

Method = Literal["frequentist", "bayesian", "sequential"]
Difference = Literal["relative", "absolute"]
METHODS: tuple[Method, ...] = ("frequentist", "bayesian", "sequential")
DIFFERENCES: tuple[Difference, ...] = ("relative", "absolute")


@dataclass(frozen=True, slots=True)
class Analysis:
    """The comparison of a treatment against the control on one metric.

    ``effect`` is the lift (relative) or the difference (absolute); for the bayesian method it is
    the posterior mean. ``risk`` is the expected loss of shipping the treatment, ``risk_control``
    that of keeping the control, both in the unit of ``effect``.
    """

    method: Method
    difference: Difference
    alpha: float
    effect: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    std_error: float | None = None
    p_value: float | None = None
    chance_to_win: float | None = None
    risk: float | None = None
    risk_control: float | None = None
    cuped_theta: float | None = None
    error: str | None = None

    @property
    def significant(self) -> bool:
        """p < alpha, or (bayesian) a chance to win beyond 1 - alpha either way; never on error."""
        if self.error is not None:
            return False
        if self.method == "bayesian":
            ctw = self.chance_to_win
            return ctw is not None and (ctw > 1 - self.alpha or ctw < self.alpha)
        return self.p_value is not None and self.p_value < self.alpha

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: plain floats and strings, plus ``significant``."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                out[key] = float(value)
        out["significant"] = self.significant
        return out


def analyze(
    control: ArmStats,
    treatment: ArmStats,
    *,
    method: Method,
    difference: Difference = "relative",
    alpha: float = 0.05,
    prior_mean: float | None = None,
    prior_variance: float | None = None,
    tuning: float = 5000,
) -> Analysis:
    """Compare ``treatment`` with ``control``.

    ``prior_mean``/``prior_variance`` give the bayesian method a proper Gaussian prior on the
    effect, in the scale of ``difference``; other methods ignore them. ``tuning`` is the
    confidence sequence's M: the total sample size around which it is tightest. CUPED is applied
    when both arms carry a pre-period (``pre``).
    """
    prior = _check_options(method, difference, alpha, prior_mean, prior_variance, tuning)
    _check_arms(control, treatment)
    theta = cuped_theta(control, treatment)
    a, b = _moments(control, theta), _moments(treatment, theta)
    relative = difference == "relative"
    error = _no_answer(a, b, relative)
    if error is not None:
        return Analysis(method=method, difference=difference, alpha=float(alpha), error=error)
    from leadflow.experiments import stats_methods as methods  # numpy, scipy: when analysing

    if method == "frequentist":
        result = methods.frequentist(a, b, relative, alpha)
    elif method == "sequential":
        result = methods.sequential(a, b, relative, alpha, float(tuning))
    else:
        result = methods.bayesian(a, b, relative, alpha, prior)
    return Analysis(
        method=method,
        difference=difference,
        alpha=float(alpha),
        **asdict(result),  # effect, interval, std_error, p_value / chance_to_win, risks
        cuped_theta=theta if theta != 0 else None,
    )


def srm_p_value(observed_counts: Sequence[int], weights: Sequence[float]) -> float:
    """Sample-ratio mismatch: Pearson chi-square of the counts against the planned weights.

    Degrees of freedom are (arms - 1); arms planned with weight 0 add nothing to the statistic.
    A small p (conventionally < 0.001) means the assignment is broken and the results should not
    be trusted. 1.0 when nothing was observed yet.
    """
    if len(observed_counts) != len(weights):
        raise ValueError(
            f"weights: {len(weights)} given for {len(observed_counts)} observed_counts"
        )
    if len(observed_counts) < 2:
        raise ValueError("observed_counts: at least two arms are needed")
    for i, count in enumerate(observed_counts):
        if not _finite(count) or count < 0:
            raise ValueError(f"observed_counts[{i}]: must be a count >= 0, got {count!r}")
    for i, weight in enumerate(weights):
        if not _finite(weight) or weight < 0:
            raise ValueError(f"weights[{i}]: must be >= 0, got {weight!r}")
    total = float(sum(observed_counts))
    total_weight = float(sum(weights))
    if total == 0:
        return 1.0
    if total_weight == 0:
        raise ValueError("weights: at least one must be > 0")
    statistic = 0.0
    for count, weight in zip(observed_counts, weights, strict=True):
        if weight <= 0:
            continue
        expected = weight / total_weight * total
        statistic += (count - expected) ** 2 / expected
    from scipy import stats as sps

    return float(sps.chi2.sf(statistic, len(observed_counts) - 1))


def _moments(arm: ArmStats, theta: float) -> Moments:
    return plain(arm) if theta == 0 else adjusted(arm, theta)


def _no_answer(a: Moments, b: Moments, relative: bool) -> str | None:
    if a.n == 0 or b.n == 0:
        which = "control" if a.n == 0 else "treatment"
        return f"empty_arm: the {which} has no units"
    if relative and (a.mean == 0 or a.unadjusted_mean == 0):
        return "zero_baseline: the control's mean is 0, so a relative lift is undefined"
    if a.variance <= 0 or b.variance <= 0:
        which = "control" if a.variance <= 0 else "treatment"
        return f"zero_variance: the {which}'s metric does not vary"
    return None


def _check_options(
    method: str,
    difference: str,
    alpha: float,
    prior_mean: float | None,
    prior_variance: float | None,
    tuning: float,
) -> tuple[float, float] | None:
    if method not in METHODS:
        raise ValueError(f"method: must be one of {', '.join(METHODS)}, got {method!r}")
    if difference not in DIFFERENCES:
        raise ValueError(f"difference: must be one of {', '.join(DIFFERENCES)}, got {difference!r}")
    if not _finite(alpha) or not 0 < alpha < 1:
        raise ValueError(f"alpha: must be strictly between 0 and 1, got {alpha!r}")
    if not _finite(tuning) or tuning <= 0:
        raise ValueError(f"tuning: must be > 0, got {tuning!r}")
    if (prior_mean is None) != (prior_variance is None):
        missing = "prior_variance" if prior_variance is None else "prior_mean"
        raise ValueError(f"{missing}: prior_mean and prior_variance must be given together")
    if prior_mean is None or prior_variance is None:
        return None
    if not _finite(prior_mean):
        raise ValueError(f"prior_mean: must be a finite number, got {prior_mean!r}")
    if not _finite(prior_variance) or prior_variance <= 0:
        raise ValueError(f"prior_variance: must be > 0, got {prior_variance!r}")
    return float(prior_mean), float(prior_variance)


def _check_arms(control: ArmStats, treatment: ArmStats) -> None:
    for name, arm in (("control", control), ("treatment", treatment)):
        if not isinstance(arm, ArmStats):
            raise ValueError(f"{name}: must be built with proportion() or mean()")
    if control.kind != treatment.kind:
        raise ValueError(
            f"treatment: a {treatment.kind} arm cannot be compared with a {control.kind} control"
        )
    pres = (control.pre, treatment.pre)
    if pres[0] is not None and pres[1] is not None and pres[0].kind != pres[1].kind:
        raise ValueError("treatment: pre-period kind differs from the control's")


def _finite(value: object) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )
