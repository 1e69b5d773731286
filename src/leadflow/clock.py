"""The one source of time.

Every module takes time from an injected :class:`Clock`. Time is handled as float seconds since
the Unix epoch (UTC) on hot paths; :func:`to_iso` / :func:`from_iso` convert at the edges.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from datetime import time as day_time
from typing import Protocol, overload


class Clock(Protocol):
    """Anything that can tell the time."""

    def now(self) -> float:
        """Seconds since the Unix epoch, UTC."""
        ...


class RealClock:
    """Wall-clock time, for production."""

    def now(self) -> float:
        return time.time()


class VirtualClock:
    """A clock that only moves when told to; simulations jump it to the next due moment."""

    def __init__(self, start: float) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def set(self, moment: float) -> None:
        """Move to ``moment``; a virtual clock never goes backwards."""
        if moment > self._now:
            self._now = float(moment)

    def advance(self, seconds: float) -> None:
        self.set(self._now + seconds)


def to_iso(ts: float | None) -> str | None:
    """UTC ISO 8601 with a trailing ``Z`` (second precision), or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> float:
    """Parse ISO 8601 (``Z`` or offset; naive means UTC) into epoch seconds."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


@overload
def day_start(day: date) -> float: ...
@overload
def day_start(day: None) -> None: ...
@overload
def day_start(day: date | None) -> float | None: ...
def day_start(day: date | None) -> float | None:
    """The start (00:00 UTC) of ``day`` in epoch seconds, or None (a ``datetime`` counts by its
    day)."""
    return None if day is None else datetime.combine(day, day_time(), tzinfo=UTC).timestamp()
