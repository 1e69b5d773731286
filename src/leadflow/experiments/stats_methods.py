"""The three ways of judging an effect: Welch t-test, confidence sequence, Gaussian posterior.

Each takes the arms' moments and returns plain floats; the public ``analyze`` decides which one
runs and handles the cases with no answer. Formulas and conventions match GrowthBook's stats
engine (gbstats 0.8.0) so that the same inputs give the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from leadflow.experiments.stats_arms import Moments


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate of the effect and its sampling variance."""

    effect: float
    variance: float

    @property
    def std_error(self) -> float:
        return math.sqrt(self.variance)


@dataclass(frozen=True, slots=True)
class Result:
    effect: float
    ci_low: float
    ci_high: float
    std_error: float
    p_value: float | None = None
    chance_to_win: float | None = None
    risk: float | None = None
    risk_control: float | None = None


def estimate(a: Moments, b: Moments, relative: bool) -> Estimate:
    """Absolute difference, or lift over the control with the delta-method variance.

    The relative variance uses the unadjusted means, so a CUPED adjustment changes the spread but
    not the scale the lift is expressed in.
    """
    if relative:
        effect = (b.mean - a.mean) / a.unadjusted_mean
        ma, mb = a.unadjusted_mean, b.unadjusted_mean
        variance = b.variance / (ma**2 * b.n) + a.variance * mb**2 / (ma**4 * a.n)
    else:
        effect = b.mean - a.mean
        variance = b.variance / b.n + a.variance / a.n
    return Estimate(effect, variance)


def welch_df(a: Moments, b: Moments) -> float:
    """Welch-Satterthwaite degrees of freedom for unequal variances."""
    va, vb = a.variance / a.n, b.variance / b.n
    return (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))


def frequentist(a: Moments, b: Moments, relative: bool, alpha: float) -> Result:
    """Two-sided Welch t-test: t = effect / se with Welch df."""
    est = estimate(a, b, relative)
    df = welch_df(a, b)
    se = est.std_error
    p_value = float(2 * sps.t.sf(abs(est.effect / se), df))
    half = float(sps.t.ppf(1 - alpha / 2, df)) * se
    return Result(est.effect, est.effect - half, est.effect + half, se, p_value=p_value)


def sequential_rho(alpha: float, tuning: float) -> float:
    """ρ of the asymptotic confidence sequence, tuned so it is tightest near N = ``tuning``."""
    log_a = -2 * math.log(alpha)
    return math.sqrt((log_a + math.log(log_a + 1)) / tuning)


def sequential(a: Moments, b: Moments, relative: bool, alpha: float, tuning: float) -> Result:
    """Always-valid interval and p-value (Waudby-Smith et al. 2023, eq. 9 and its e-value).

    N counts the units of both arms and s² = variance·N is the per-unit variance of the effect.
    """
    est = estimate(a, b, relative)
    n_total = a.n + b.n
    rho = sequential_rho(alpha, tuning)
    grow = n_total * rho**2 + 1
    half = math.sqrt(est.variance * n_total) * math.sqrt(
        2 * grow * math.log(math.sqrt(grow) / alpha) / (n_total * rho) ** 2
    )
    st2 = est.effect**2 * n_total / est.variance
    log_evalue = rho**2 * st2 / (2 * grow) - 0.5 * math.log(grow)
    p_value = 1.0 if log_evalue <= 0 else math.exp(-log_evalue)
    return Result(est.effect, est.effect - half, est.effect + half, est.std_error, p_value=p_value)


def bayesian(
    a: Moments,
    b: Moments,
    relative: bool,
    alpha: float,
    prior: tuple[float, float] | None,
) -> Result:
    """Normal posterior of the effect; flat prior unless (mean, variance) of a Gaussian is given.

    With a prior the posterior precision is the sum of precisions and its mean the
    precision-weighted average. Risk is the expected loss of each choice: choosing the treatment
    loses E[max(-effect, 0)], choosing the control loses E[max(effect, 0)].
    """
    est = estimate(a, b, relative)
    precision = 1 / est.variance
    centre = est.effect
    if prior is not None:
        prior_mean, prior_variance = prior
        precision += 1 / prior_variance
        centre = (est.effect / est.variance + prior_mean / prior_variance) / precision
    sd = math.sqrt(1 / precision)
    posterior = sps.norm(loc=centre, scale=sd)
    low, high = (float(x) for x in posterior.ppf([alpha / 2, 1 - alpha / 2]))
    risk_control, risk_treatment = expected_losses(centre, sd)
    return Result(
        centre,
        low,
        high,
        sd,
        chance_to_win=float(posterior.sf(0.0)),
        risk=risk_treatment,
        risk_control=risk_control,
    )


def expected_losses(mu: float, sigma: float) -> tuple[float, float]:
    """(loss of keeping the control, loss of shipping the treatment) under N(mu, sigma²)."""
    p_negative = float(sps.norm.cdf(0.0, loc=mu, scale=sigma))
    z = -mu / sigma
    # far in a tail scipy's moment code divides by a vanishing variance on its way to the
    # mean (a RuntimeWarning, not a wrong mean: the means agree with gbstats' to 1e-15)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean_positive = float(sps.truncnorm.mean(z, math.inf, loc=mu, scale=sigma))
        mean_negative = float(sps.truncnorm.mean(-math.inf, z, loc=mu, scale=sigma))
    # adding 0.0 turns a -0.0 (no downside at all) into a plain 0.0
    return (1 - p_negative) * mean_positive + 0.0, -p_negative * mean_negative + 0.0
