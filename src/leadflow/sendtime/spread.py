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
