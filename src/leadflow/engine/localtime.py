"""Local-time arithmetic in a contact's zone: wait_until targets and send windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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


# (zone, start, end, weekdays) -> the last stretch [lo, hi) of instants found inside that window:
# a send checked again within it (the same day's window, the usual case) needs no local time.
_OPEN: dict[tuple[ZoneInfo, int, int, tuple[str, ...] | None], tuple[float, float]] = {}
_OPEN_MAX = 4096


def next_allowed(
    now: float, tz: ZoneInfo, start_min: int, end_min: int, weekdays: list[str] | None = None
) -> float:
    """``now`` if local time is inside [start, end) on an allowed weekday, else the next minute
    that is (rounded up to a whole minute)."""
    key = (tz, start_min, end_min, tuple(weekdays) if weekdays else None)
    span = _OPEN.get(key)
    if span is not None and span[0] <= now < span[1]:
        return now
    allowed = {WEEKDAYS.index(d) for d in weekdays} if weekdays else set(range(7))
    here = local(now, tz)
    minute = here.hour * 60 + here.minute
    if here.weekday() in allowed and start_min <= minute < end_min:
        _remember_open(key, here, tz, start_min, end_min)
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


def _remember_open(
    key: tuple[ZoneInfo, int, int, tuple[str, ...] | None],
    here: datetime,
    tz: ZoneInfo,
    start_min: int,
    end_min: int,
) -> None:
    """Keep the stretch of ``here``'s day from the window's start to its end, when the zone's
    offset is the same all along it (no DST change inside): every instant of it has a local
    minute in [start, end) on ``here``'s (allowed) weekday."""
    day = here.date()
    lo = datetime(day.year, day.month, day.day, start_min // 60, start_min % 60, tzinfo=tz)
    if end_min >= 1440:
        after = day + timedelta(days=1)
        hi = datetime(after.year, after.month, after.day, tzinfo=tz)
    else:
        hi = datetime(day.year, day.month, day.day, end_min // 60, end_min % 60, tzinfo=tz)
    lo_ts, hi_ts = lo.timestamp(), hi.timestamp()
    offset = here.utcoffset()
    if local(lo_ts, tz).utcoffset() != offset or local(hi_ts, tz).utcoffset() != offset:
        return
    if len(_OPEN) >= _OPEN_MAX:
        _OPEN.clear()
    _OPEN[key] = (lo_ts, hi_ts)


def at_local(day: date, tz: ZoneInfo, minute_of_day: int) -> float:
    """The instant of ``minute_of_day`` on ``day`` in ``tz`` (a time in a DST gap moves on)."""
    moment = datetime(day.year, day.month, day.day, minute_of_day // 60, minute_of_day % 60)
    return moment.replace(tzinfo=tz).astimezone(UTC).timestamp()


def add_years(day: date, years: int) -> date:
    """``day`` ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def date_target(
    now: float, tz: ZoneInfo, minute_of_day: int, day: date, offset_days: int, yearly: bool
) -> float | None:
    """``day`` + ``offset_days`` at ``minute_of_day`` local time; with ``yearly`` the first
    anniversary of it that is still ahead of ``now``. None when the moment has passed (once)."""
    target = day + timedelta(days=offset_days)
    ts = at_local(target, tz, minute_of_day)
    if not yearly:
        return ts if ts > now else None
    years = 0
    while ts <= now:
        years += 1
        ts = at_local(add_years(target, years), tz, minute_of_day)
    return ts


def first_weekday_of_month(now: float, tz: ZoneInfo, minute_of_day: int) -> float:
    """The first Monday-to-Friday of a month at ``minute_of_day`` local time that is still
    ahead of ``now`` (this month's when it is to come, else next month's)."""
    here = local(now, tz)
    year, month = here.year, here.month
    for _ in range(3):
        day = date(year, month, 1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        ts = at_local(day, tz, minute_of_day)
        if ts > now:
            return ts
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValueError("no first weekday ahead")  # pragma: no cover


def parse_day(value: object) -> date | None:
    """A date from a field value: ``YYYY-MM-DD``, an ISO date-time (its date), an epoch number
    (UTC date); None when it is none of these."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).date()
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    return None
