"""Local-time arithmetic in a contact's zone: wait_until targets and send windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=1024)
def zone(name: str | None, fallback: str = "America/New_York") -> ZoneInfo:
    """The zone called ``name``, or ``fallback`` when it is empty or unknown."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def hhmm(text: str) -> int:
    """Minutes after midnight of ``HH:MM`` (``24:00`` is 1440)."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def local(ts: float, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ts, tz)


def next_time_of_day(
    now: float, tz: ZoneInfo, minute_of_day: int, weekdays: list[str], offset_days: int
) -> float:
    """The first moment at ``minute_of_day`` local time that is strictly after ``now`` (or on
    the same day when ``offset_days`` is 0 and the time is still ahead), at least ``offset_days``
    calendar days later, on one of ``weekdays`` (any day when empty)."""
    here = local(now, tz)
    day = here.date() + timedelta(days=offset_days)
    allowed = {WEEKDAYS.index(d) for d in weekdays} if weekdays else set(range(7))
    for _ in range(400):
        candidate = datetime(
            day.year, day.month, day.day, minute_of_day // 60, minute_of_day % 60, tzinfo=tz
        )
        ts = candidate.timestamp()
        if ts > now and candidate.weekday() in allowed:
            return ts
        day += timedelta(days=1)
    raise ValueError("no matching day within 400 days")  # pragma: no cover - weekdays non-empty


def next_allowed(
    now: float, tz: ZoneInfo, start_min: int, end_min: int, weekdays: list[str] | None = None
) -> float:
    """``now`` if local time is inside [start, end) on an allowed weekday, else the next minute
    that is (rounded up to a whole minute)."""
    allowed = {WEEKDAYS.index(d) for d in weekdays} if weekdays else set(range(7))
    here = local(now, tz)
    minute = here.hour * 60 + here.minute
    if here.weekday() in allowed and start_min <= minute < end_min:
        return now
    day = here.date()
    for _ in range(15):
        start = datetime(day.year, day.month, day.day, start_min // 60, start_min % 60, tzinfo=tz)
        # Re-normalise through UTC so a start inside a DST gap lands on a real instant.
        start_ts = start.astimezone(UTC).timestamp()
        if start_ts > now and start.weekday() in allowed:
            return start_ts
        day += timedelta(days=1)
    raise ValueError("no allowed day in the send window")  # pragma: no cover
