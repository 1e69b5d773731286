from datetime import datetime
from zoneinfo import ZoneInfo

from leadflow.engine.localtime import hhmm, next_allowed, next_time_of_day, zone

NY = ZoneInfo("America/New_York")


def ts(text: str, tz: ZoneInfo = NY) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def test_next_day_at_ten_local() -> None:
    now = ts("2026-03-02T15:30")
    assert next_time_of_day(now, NY, hhmm("10:00"), [], 1) == ts("2026-03-03T10:00")


def test_same_day_when_still_ahead_and_weekday_filter() -> None:
    now = ts("2026-03-06T08:00")  # a Friday
    assert next_time_of_day(now, NY, hhmm("09:00"), [], 0) == ts("2026-03-06T09:00")
    assert next_time_of_day(now, NY, hhmm("09:00"), ["mon"], 0) == ts("2026-03-09T09:00")


def test_across_dst_start() -> None:
    # 2026-03-08 is the US spring-forward day: 10:00 local is still 10:00 local.
    now = ts("2026-03-07T12:00")
    target = next_time_of_day(now, NY, hhmm("10:00"), [], 1)
    assert datetime.fromtimestamp(target, NY).hour == 10
    assert target - now == 21 * 3600  # one hour shorter than a normal day


def test_next_allowed_inside_and_outside_window() -> None:
    inside = ts("2026-03-02T12:00")
    assert next_allowed(inside, NY, hhmm("08:00"), hhmm("21:00")) == inside
    late = ts("2026-03-02T22:15")
    assert next_allowed(late, NY, hhmm("08:00"), hhmm("21:00")) == ts("2026-03-03T08:00")
    early = ts("2026-03-02T06:59")
    assert next_allowed(early, NY, hhmm("08:00"), hhmm("21:00")) == ts("2026-03-02T08:00")
    at_end = ts("2026-03-02T21:00")
    assert next_allowed(at_end, NY, hhmm("08:00"), hhmm("21:00")) == ts("2026-03-03T08:00")


def test_next_allowed_weekdays() -> None:
    saturday = ts("2026-03-07T12:00")
    monday_nine = ts("2026-03-09T09:00")
    assert (
        next_allowed(
            saturday, NY, hhmm("09:00"), hhmm("17:00"), ["mon", "tue", "wed", "thu", "fri"]
        )
        == monday_nine
    )


def test_unknown_zone_falls_back() -> None:
    assert zone("Mars/Olympus", "America/Chicago") == ZoneInfo("America/Chicago")
    assert zone(None) == NY
