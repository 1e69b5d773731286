"""Process-wide counters of model calls, for ``/metrics`` (the ledger in the store keeps the
per-tenant detail): calls by purpose, outcome and cache hit; tokens by purpose and direction."""

from __future__ import annotations

import threading
from collections import Counter


class AiStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str, bool]] = Counter()
        self.tokens: Counter[tuple[str, str]] = Counter()

    def count(
        self, purpose: str, outcome: str, cache_hit: bool, tokens_in: int, tokens_out: int
    ) -> None:
        with self._lock:
            self.calls[(purpose, outcome, cache_hit)] += 1
            self.tokens[(purpose, "in")] += tokens_in
            self.tokens[(purpose, "out")] += tokens_out

    def snapshot(self) -> tuple[dict[tuple[str, str, bool], int], dict[tuple[str, str], int]]:
        with self._lock:
            return dict(self.calls), dict(self.tokens)


AI_STATS = AiStats()
