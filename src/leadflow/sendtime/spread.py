"""Spreading a campaign's sends so no hour gets more than a cap.

When many leads reach the same send node at once, each gets its own best hour, and the popular
hours can pile up (a provider's rate, an agent's phone ringing all evening). :func:`spread` keeps
every send's own ranking of hours and moves the overflow of a full hour to that send's next best
hour that still has room.
"""

from __future__ import annotations

from collections.abc import Sequence


def spread(rankings: Sequence[Sequence[int]], cap: int) -> list[int | None]:
    """For each send, the hour (any hashable slot id, e.g. a bucket or an epoch hour) it goes
    out in. ``rankings[i]`` lists send ``i``'s allowed slots, best first. Sends are placed in
    the order given, so callers pass them in priority order. A send whose every slot is full
    gets ``None`` (the caller decides: send at its first choice anyway, or later)."""
    if cap < 1:
        raise ValueError(f"cap: must be at least 1 send per hour, got {cap}")
    load: dict[int, int] = {}
    placed: list[int | None] = []
    for ranking in rankings:
        slot: int | None = None
        for candidate in ranking:
            if load.get(candidate, 0) < cap:
                slot = candidate
                break
        if slot is not None:
            load[slot] = load.get(slot, 0) + 1
        placed.append(slot)
    return placed


class HourlyCap:
    """Sends already placed per campaign (a workflow's send node) and hour, so a send node with
    ``timing: optimal`` moves the overflow of a full hour to the lead's next best hour.

    Kept in the worker's memory: several workers each keep their own tally, so the cap holds per
    worker (a soft cap), and the tally starts empty after a restart."""

    def __init__(self, per_hour: int) -> None:
        if per_hour < 1:
            raise ValueError(f"per_hour: must be at least 1 send per hour, got {per_hour}")
        self.per_hour = per_hour
        self._placed: dict[tuple[str, int], int] = {}

    @staticmethod
    def _hour(at: float) -> int:
        return int(at // 3600)

    def has_room(self, campaign: str, at: float) -> bool:
        return self._placed.get((campaign, self._hour(at)), 0) < self.per_hour

    def take(self, campaign: str, at: float) -> None:
        key = (campaign, self._hour(at))
        self._placed[key] = self._placed.get(key, 0) + 1

    def forget_before(self, now: float) -> None:
        """Drop the tallies of hours that have passed."""
        current = self._hour(now)
        for key in [k for k in self._placed if k[1] < current]:
            del self._placed[key]
