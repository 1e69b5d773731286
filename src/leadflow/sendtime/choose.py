"""Choosing the moment of a send: the best hour of the week the lead can be reached in.

Candidates are ``now`` and every top of a local hour up to ``max_delay`` ahead. A candidate
counts only when the send gate lets a message leave at that very moment (quiet hours, state
windows, the workflow's window: compliance wins over the model). Among those, the highest
posterior mean wins (the earliest on a tie); with probability ``explore`` a uniformly random
allowed candidate is taken instead, so the model keeps learning and can be judged without bias.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from leadflow.sendtime.model import BUCKETS, Vector, bucket_of

EXPLORE = 0.10
HOUR_S = 3600.0
MAX_DELAY_S = 7 * 86400.0

Earliest = Callable[[float], float]  # moment -> when a message may leave if queued then


@dataclass(slots=True, frozen=True)
class Choice:
    """When to send, and why."""

    at: float
    bucket: int
    mean: float  # posterior mean engagement rate of the bucket
    explored: bool
    reason: str  # best | explore | no_allowed_hour

    def explain(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "bucket": self.bucket,
            "weekday": self.bucket // 24,
            "hour": self.bucket % 24,
            "posterior_mean": round(self.mean, 6),
            "explored": self.explored,
            "reason": self.reason,
        }


def candidates(now: float, tz: tzinfo, max_delay: float) -> list[float]:
    """``now`` then each local top of the hour in (now, now + max_delay]."""
    local = datetime.fromtimestamp(now, tz)
    top = local.replace(minute=0, second=0, microsecond=0).timestamp()
    out = [now]
    t = top + HOUR_S
    while t <= now + max_delay:
        out.append(t)
        t += HOUR_S
    return out


def choose_moment(
    now: float,
    tz: tzinfo,
    means: Vector,
    earliest: Earliest,
    max_delay: float,
    rng: random.Random,
    explore: float = EXPLORE,
    room: Callable[[float], bool] | None = None,
) -> Choice:
    """The moment to send (see the module docstring). ``means`` has one value per bucket.
    ``room``, when given, says whether a moment's hour can take one more send of this campaign:
    full hours are skipped unless every allowed hour is full."""
    if len(means) != BUCKETS:
        raise ValueError(f"means: expected {BUCKETS} values, got {len(means)}")
    if not 0 <= max_delay <= MAX_DELAY_S:
        raise ValueError(f"max_delay: must be between 0 and 7 days, got {max_delay} s")
    if not 0 <= explore <= 1:
        raise ValueError(f"explore: must be between 0 and 1, got {explore}")
    allowed = [t for t in candidates(now, tz, max_delay) if earliest(t) <= t]
    if not allowed:  # nothing legal within max_delay: the first legal moment, compliance wins
        at = earliest(now)
        bucket = bucket_of(at, tz)
        return Choice(at, bucket, float(means[bucket]), False, "no_allowed_hour")
    if room is not None:
        allowed = [t for t in allowed if room(t)] or allowed
    if rng.random() < explore:
        at = rng.choice(allowed)
        bucket = bucket_of(at, tz)
        return Choice(at, bucket, float(means[bucket]), True, "explore")
    best_at, best_bucket, best_mean = allowed[0], -1, float("-inf")
    for t in allowed:
        bucket = bucket_of(t, tz)
        value = float(means[bucket])
        if value > best_mean + 1e-12:
            best_at, best_bucket, best_mean = t, bucket, value
    return Choice(best_at, best_bucket, best_mean, False, "best")
