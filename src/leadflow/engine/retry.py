"""Retry decisions as pure functions (tested alone)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class RetryDecision:
    retry: bool
    delay_s: float = 0.0


@dataclass(slots=True, frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter up to ``max_attempts`` attempts in all.

    Attempt ``n`` (1 = the first failure) waits ``base_s * factor**(n-1)`` capped at
    ``max_delay_s``, then scaled by a random factor in ``[1 - jitter, 1 + jitter]``.
    """

    max_attempts: int = 5
    base_s: float = 30.0
    factor: float = 2.0
    max_delay_s: float = 3600.0
    jitter: float = 0.2

    def decide(self, attempt: int, retryable: bool, rng: random.Random) -> RetryDecision:
        """``attempt`` is how many attempts have failed so far, this one included."""
        if not retryable or attempt >= self.max_attempts:
            return RetryDecision(retry=False)
        delay = min(self.base_s * self.factor ** (attempt - 1), self.max_delay_s)
        if self.jitter:
            delay *= rng.uniform(1 - self.jitter, 1 + self.jitter)
        return RetryDecision(retry=True, delay_s=max(delay, 0.0))
