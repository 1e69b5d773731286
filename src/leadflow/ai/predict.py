"""Predicted replies, appointments and opt-outs of a campaign segment: the messages its draft
sends per channel (from the simulation, scaled to the contacts reached) times each channel's
rate (the tenant's own or a stated prior, :mod:`leadflow.ai.history`).

The expected count is ``sum(sends_c * mean_c)``; the 95 % interval is the 2.5th and 97.5th
percentiles of the posterior predictive, ``sum(Binomial(sends_c, p_c))`` with ``p_c`` drawn
from each channel's Beta, over :data:`DRAWS` draws from a fixed seed (the same inputs always
give the same interval)."""

from __future__ import annotations

from typing import Any

from leadflow.ai.history import METRICS, ChannelHistory, Rate, rate_of

DRAWS = 4000
SEED = 20260101
# Stated priors per message sent, by metric and channel. Replies: the simulation's engagement
# model (a text is answered 15 % of the time, an e-mail a fifth as often, a call is texted back
# a quarter as often); appointments: 15 % of replies; opt-outs: one text in 200 (a STOP every
# thirtieth reply), one e-mail in 500, one call in 1000.
APPOINTMENT_PER_REPLY = 0.15
REPLY_PRIORS = {"sms": 0.15, "email": 0.03, "voice": 0.0375}
OPT_OUT_PRIORS = {"sms": 0.005, "email": 0.002, "voice": 0.001}
PRIOR_BASIS = {
    "replies": "the simulation's engagement model",
    "appointments": f"{APPOINTMENT_PER_REPLY:.0%} of the prior's replies",
    "opt_outs": "industry-typical opt-out rate",
}


def prior(metric: str, channel: str) -> float:
    reply = REPLY_PRIORS.get(channel, 0.01)
    if metric == "replies":
        return reply
    if metric == "appointments":
        return reply * APPOINTMENT_PER_REPLY
    return OPT_OUT_PRIORS.get(channel, 0.002)


def rates_for(channels: list[str], history: dict[str, ChannelHistory]) -> dict[str, list[Rate]]:
    """Per metric, one rate per channel (the tenant's own or the prior)."""
    return {
        metric: [
            rate_of(c, metric, history, prior(metric, c), PRIOR_BASIS[metric]) for c in channels
        ]
        for metric in METRICS
    }


def predict(sends: dict[str, float], rates: list[Rate]) -> dict[str, Any]:
    """Expected count and 95 % interval of one metric for ``sends`` messages per channel."""
    import numpy as np  # numerical code only when predicting

    rng = np.random.default_rng(SEED)
    expected = 0.0
    total = np.zeros(DRAWS)
    for rate in rates:
        n = round(sends.get(rate.channel, 0.0))
        if n <= 0:
            continue
        expected += n * rate.mean
        p = rng.beta(rate.a, rate.b, size=DRAWS)
        total += rng.binomial(n, p)
    if expected == 0.0:
        return {"expected": 0.0, "interval_95": [0.0, 0.0]}
    low, high = np.percentile(total, [2.5, 97.5])
    return {
        "expected": round(expected, 1),
        "interval_95": [round(float(min(low, expected)), 1), round(float(max(high, expected)), 1)],
    }
