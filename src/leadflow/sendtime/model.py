"""Beta-Binomial counts over the 168 hours of the week, in the contact's local time.

Bucket ``b = weekday * 24 + hour`` (Monday 00:00-00:59 is 0, Sunday 23:00 is 167). A contact's
:class:`Counts` hold, per bucket, how many messages were sent and how many of them engaged.
The :class:`Prior` is one Beta per bucket, fitted by empirical Bayes over the population
(:func:`fit_prior`): the pooled engagement rate per bucket, smoothed circularly over neighbouring
hours, and a common strength from the spread of contacts' rates (method of moments).
:func:`posterior_mean` combines the two; a contact with fewer than ``min_events`` engagements
gets the prior alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import numpy as np
import numpy.typing as npt

BUCKETS = 168
HOURS_PER_DAY = 24
MIN_EVENTS = 5  # below this many engagements a contact's own counts are not trusted
MIN_STRENGTH = 2.0  # alpha + beta of the prior: bounds of the method-of-moments estimate
MAX_STRENGTH = 500.0
DEFAULT_RATE = 0.05  # prior mean when the population has no history at all
DEFAULT_STRENGTH = 20.0

Vector = npt.NDArray[np.float64]


def bucket_of(ts: float, tz: tzinfo) -> int:
    """The hour-of-week bucket of epoch seconds ``ts`` in zone ``tz``."""
    local = datetime.fromtimestamp(ts, tz)
    return local.weekday() * HOURS_PER_DAY + local.hour


def _zeros() -> Vector:
    return np.zeros(BUCKETS, dtype=np.float64)


@dataclass(slots=True)
class Counts:
    """Sends and engagements per bucket for one contact on one channel."""

    sent: Vector = field(default_factory=_zeros)
    engaged: Vector = field(default_factory=_zeros)

    def add(self, bucket: int, engaged: bool) -> None:
        if not 0 <= bucket < BUCKETS:
            raise ValueError(f"bucket: must be in 0..{BUCKETS - 1}, got {bucket}")
        self.sent[bucket] += 1
        if engaged:
            self.engaged[bucket] += 1

    @classmethod
    def of(cls, samples: Iterable[tuple[int, bool]]) -> Counts:
        """Counts from (bucket, engaged) pairs."""
        counts = cls()
        for bucket, engaged in samples:
            counts.add(bucket, engaged)
        return counts

    @property
    def events(self) -> int:
        """How many engagements the contact has (the evidence threshold counts these)."""
        return int(self.engaged.sum())


def circular_smooth(values: Vector, width: int) -> Vector:
    """Each bucket averaged with ``width`` neighbours on either side (triangular weights),
    wrapping from Sunday night to Monday morning."""
    if width <= 0:
        return values.astype(np.float64, copy=True)
    weights = np.array([width + 1 - abs(k) for k in range(-width, width + 1)], dtype=np.float64)
    weights /= weights.sum()
    out = _zeros()
    for offset, weight in zip(range(-width, width + 1), weights, strict=True):
        out += weight * np.roll(values, offset)
    return out


def pool_evidence(counts: Counts, width: int = 1, same_hour: float = 0.5) -> Counts:
    """A contact's counts shared with neighbouring hours (``width`` on each side) and with the
    same hour on the other days of the week, those weighted ``same_hour``: habits repeat daily,
    so a reply at Tuesday 19:00 says something about Thursday 19:00 too (``same_hour=1`` is a
    pure hour-of-day model, 0 a pure hour-of-week one)."""
    if not 0 <= same_hour <= 1:
        raise ValueError(f"same_hour: must be between 0 and 1, got {same_hour}")
    sent, engaged = counts.sent, counts.engaged
    if same_hour > 0:
        day_s = np.tile(sent.reshape(7, HOURS_PER_DAY).sum(axis=0), 7)
        day_e = np.tile(engaged.reshape(7, HOURS_PER_DAY).sum(axis=0), 7)
        sent = sent + same_hour * (day_s - sent)
        engaged = engaged + same_hour * (day_e - engaged)
    return Counts(circular_smooth(sent, width), circular_smooth(engaged, width))


@dataclass(slots=True, frozen=True)
class Prior:
    """Beta(alpha[b], beta[b]) per bucket."""

    alpha: Vector
    beta: Vector

    @property
    def mean(self) -> Vector:
        result: Vector = self.alpha / (self.alpha + self.beta)
        return result

    @classmethod
    def flat(cls, rate: float = DEFAULT_RATE, strength: float = DEFAULT_STRENGTH) -> Prior:
        """The same Beta in every bucket: no population knowledge."""
        return cls(np.full(BUCKETS, rate * strength), np.full(BUCKETS, (1 - rate) * strength))


def _strength(population: Sequence[Counts], rate: Vector) -> float:
    """alpha + beta by the method of moments over contacts. Counts are summed per hour of the
    day (over the week's days) so each cell holds whole sends; per hour, the spread of contacts'
    rates minus the binomial part is the Beta's variance m(1-m)/(strength+1). The median over
    hours with enough contacts is kept."""
    if len(population) < 2:
        return DEFAULT_STRENGTH
    sent = np.stack([c.sent.reshape(7, HOURS_PER_DAY).sum(axis=0) for c in population])
    engaged = np.stack([c.engaged.reshape(7, HOURS_PER_DAY).sum(axis=0) for c in population])
    hourly = rate.reshape(7, HOURS_PER_DAY).mean(axis=0)
    strengths = []
    for h in range(HOURS_PER_DAY):
        keep = sent[:, h] > 0
        if keep.sum() < 10:
            continue
        n, m = sent[keep, h], float(hourly[h])
        rates = engaged[keep, h] / n
        weights = n / n.sum()
        observed = float(np.sum(weights * (rates - m) ** 2))
        binomial = float(np.sum(weights * m * (1 - m) / n))
        between = observed - binomial
        strengths.append(MAX_STRENGTH if between <= 1e-12 else m * (1 - m) / between - 1)
    if not strengths:
        return DEFAULT_STRENGTH
    return float(np.clip(np.median(strengths), MIN_STRENGTH, MAX_STRENGTH))


def fit_prior(population: Sequence[Counts], smooth: int = 2) -> Prior:
    """Empirical-Bayes prior per bucket from many contacts' counts (one channel)."""
    sent = _zeros()
    engaged = _zeros()
    for counts in population:
        sent += counts.sent
        engaged += counts.engaged
    total_sent = float(sent.sum())
    if total_sent == 0:
        return Prior.flat()
    overall = float(engaged.sum()) / total_sent
    # A bucket with few sends leans on the overall rate (pseudo-counts), then on its neighbours.
    pseudo = 5.0
    per_bucket = (engaged + pseudo * overall) / (sent + pseudo)
    rate = np.clip(circular_smooth(per_bucket, smooth), 1e-4, 1 - 1e-4)
    strength = _strength(population, rate)
    return Prior(rate * strength, (1 - rate) * strength)


def posterior_mean(counts: Counts | None, prior: Prior, min_events: int = MIN_EVENTS) -> Vector:
    """Expected engagement rate per bucket; the prior alone below ``min_events`` engagements."""
    if counts is None or counts.events < min_events:
        return prior.mean
    pooled = pool_evidence(counts)
    result: Vector = (prior.alpha + pooled.engaged) / (prior.alpha + prior.beta + pooled.sent)
    return result
