"""The answer cache: an identical request (normalised conversation + tenant + model + purpose)
within the TTL is answered from memory. Bounded: the least recently used entry goes first."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from typing import Any

from leadflow.clock import Clock


def normalise(text: str) -> str:
    """Lower case, single spaces, no surrounding blanks: "Text  new Leads " == "text new leads"."""
    return re.sub(r"\s+", " ", text).strip().lower()


def cache_key(tenant_id: str, model: str, purpose: str, messages: list[dict[str, Any]]) -> str:
    parts = [normalise(str(m.get("content") or "")) for m in messages]
    raw = json.dumps([tenant_id, model, purpose, parts], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


class AnswerCache:
    def __init__(self, clock: Clock, ttl_s: float = 120.0, size: int = 256) -> None:
        self.clock = clock
        self.ttl_s = ttl_s
        self.size = max(1, size)
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if self.clock.now() - found[0] > self.ttl_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: str, value: Any) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._items[key] = (self.clock.now(), value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
