"""A token bucket per (tenant, CRM): at most ``rate_per_10s`` calls in any 10 s on average, with
bursts up to the same number, on the injected clock. Both CRMs count their limits over a 10 s
window (HighLevel: 100 calls per 10 s per location; Follow Up Boss: a sliding 10 s window), so
a bucket that refills ``rate/10`` tokens a second never runs ahead of them."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    per_second: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """Take one token: 0 when one was there, else the seconds until one will be (the token
        is taken then: the caller waits that long and goes)."""
        elapsed = max(0.0, now - self.at)  # a clock that steps back refills nothing
        self.tokens = min(self.capacity, self.tokens + elapsed * self.per_second)
        self.at = max(self.at, now)
        self.tokens -= 1
        if self.tokens >= 0:
            return 0.0
        return -self.tokens / self.per_second

    def drain(self, now: float, seconds: float) -> None:
        """The CRM said 429: no tokens until ``seconds`` from now."""
        self.tokens = 1 - seconds * self.per_second  # the next token is there in ``seconds``
        self.at = now


class Buckets:
    """The buckets of one process, by (tenant, crm); time is the caller's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def wait_for(self, tenant_id: str, crm: str, rate_per_10s: int, now: float) -> float:
        """Seconds the caller must wait before its call (0: go now)."""
        with self._lock:
            bucket = self._bucket(tenant_id, crm, rate_per_10s, now)
            return bucket.take(now)

    def back_off(
        self, tenant_id: str, crm: str, rate_per_10s: int, seconds: float, now: float
    ) -> None:
        with self._lock:
            self._bucket(tenant_id, crm, rate_per_10s, now).drain(now, seconds)

    def _bucket(self, tenant_id: str, crm: str, rate: int, now: float) -> TokenBucket:
        key = (tenant_id, crm)
        found = self._buckets.get(key)
        if found is None or found.capacity != rate:
            found = self._buckets[key] = TokenBucket(float(rate), rate / 10.0, float(rate), now)
        return found


PROCESS_BUCKETS = Buckets()  # what every caller in this process shares by default

__all__ = ["PROCESS_BUCKETS", "Buckets", "TokenBucket"]
