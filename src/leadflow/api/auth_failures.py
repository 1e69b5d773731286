"""Failed authentications per client address: wrong-key guessing is limited.

Each request presenting an API key that does not verify counts one failure for its client
address (the connection's peer as the server sees it; behind a reverse proxy, run uvicorn with
proxy headers so that is the client's). Once an address has ``per_minute`` failures within the
last 60 seconds, every further request from it that needs a key -- the right key too -- is
refused with 429 and ``Retry-After`` until the oldest of those failures is a minute old; other
addresses are not affected. A request without any key is not counted (it guesses nothing).
Time comes from the runtime's clock, so tests move it instead of sleeping. In this process only.

Counted in ``leadflow_auth_failures_total`` and ``leadflow_auth_refused_total`` (the requests
refused for it).
"""

from __future__ import annotations

import threading
from collections import deque

from prometheus_client import CollectorRegistry, Counter

from leadflow.errors import RateLimited

WINDOW_S = 60.0


class AuthFailureLimiter:
    def __init__(
        self,
        per_minute: int,
        registry: CollectorRegistry | None = None,
        max_addresses: int = 100_000,
    ) -> None:
        self.per_minute = per_minute
        self.max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.failed_total = Counter(
            "leadflow_auth_failures",
            "Requests whose API key did not verify.",
            registry=registry,
        )
        self.refused_total = Counter(
            "leadflow_auth_refused",
            "Requests refused (429) because their address failed to authenticate too often.",
            registry=registry,
        )

    def _recent(self, address: str, now: float) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        while times and times[0] <= now - WINDOW_S:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def check(self, address: str, now: float) -> None:
        """Raise :class:`RateLimited` while ``address`` is over its failures."""
        if self.per_minute <= 0:
            return
        with self._lock:
            times = self._recent(address, now)
            if times is None or len(times) < self.per_minute:
                return
            wait = times[0] + WINDOW_S - now
        self.refused_total.inc()
        raise RateLimited(
            wait, f"too many failed authentications from this address; retry after {wait:.0f} s"
        )

    def failed(self, address: str, now: float) -> None:
        """Count one failed authentication of ``address``."""
        self.failed_total.inc()
        if self.per_minute <= 0:
            return
        with self._lock:
            times = self._recent(address, now)
            if times is None:
                if len(self._failures) >= self.max_addresses:
                    self._failures.clear()  # a flood of addresses: start over rather than grow
                times = self._failures[address] = deque(maxlen=self.per_minute)
            times.append(now)
