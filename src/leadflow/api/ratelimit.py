"""Per-key rate limits: a token bucket per API key, in this process. A key may burst up to
``rate_limit_per_minute`` requests and then gets that many per minute, evenly; a request over
the limit is refused with 429 and ``Retry-After`` (the seconds until one token is back).
Time comes from the runtime's clock, so tests move it instead of sleeping."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from leadflow.errors import RateLimited


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float) -> None:
        """Take one token for ``key`` or raise :class:`RateLimited` (nothing taken)."""
        if self.per_minute <= 0:
            return
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._buckets.clear()  # a flood of keys: start over rather than grow
                bucket = self._buckets[key] = _Bucket(float(self.per_minute), now)
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(float(self.per_minute), bucket.tokens + elapsed * self.rate)
            bucket.at = max(bucket.at, now)
            if bucket.tokens < 1.0:
                raise RateLimited((1.0 - bucket.tokens) / self.rate)
            bucket.tokens -= 1.0
