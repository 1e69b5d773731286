"""A lead's send-time profile: per channel, the hours of the week it engages most, each with a
90 % credible interval, and where the estimate comes from (the lead's own engagements, or the
population's prior when it has fewer than ``MIN_EVENTS``). The same Beta-Binomial model the
``timing: optimal`` sends use (:mod:`leadflow.sendtime.model`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

import numpy as np

from leadflow.sendtime.history import OutboxHistory
from leadflow.sendtime.model import HOURS_PER_DAY, MIN_EVENTS, Vector, pool_evidence

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEVEL = 0.90


@dataclass(frozen=True, slots=True)
class Hour:
    """One hour of the week in the lead's local time and its engagement rate."""

    weekday: str
    hour: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class ChannelProfile:
    channel: str
    source: str  # "contact" (its own engagements) or "population" (the prior alone)
    engagements: int
    sends: int
    best: list[Hour]


def channel_profile(
    history: OutboxHistory, contact_id: str, channel: str, tz: tzinfo, now: float, top: int
) -> tuple[ChannelProfile, Vector]:
    """The profile, and the posterior mean per bucket (for choosing a moment)."""
    from scipy.stats import beta  # only here: the CLI and the API start without scipy

    prior = history.prior(channel, now)
    counts = history.counts(contact_id, channel, tz)
    alpha, beta_ = prior.alpha, prior.beta
    source = "population"
    if counts.events >= MIN_EVENTS:
        pooled = pool_evidence(counts)
        alpha = prior.alpha + pooled.engaged
        beta_ = prior.beta + np.maximum(pooled.sent - pooled.engaged, 0.0)
        source = "contact"
    mean: Vector = alpha / (alpha + beta_)
    tail = (1 - LEVEL) / 2
    low, high = beta.ppf(tail, alpha, beta_), beta.ppf(1 - tail, alpha, beta_)
    order = sorted(range(len(mean)), key=lambda b: (-float(mean[b]), b))[:top]
    best = [
        Hour(
            WEEKDAYS[b // HOURS_PER_DAY],
            b % HOURS_PER_DAY,
            round(float(mean[b]), 4),
            round(float(low[b]), 4),
            round(float(high[b]), 4),
        )
        for b in order
    ]
    sends = int(counts.sent.sum())
    return ChannelProfile(channel, source, counts.events, sends, best), mean
