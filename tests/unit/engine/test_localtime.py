from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.engine import localtime
from leadflow.engine.localtime import WEEKDAYS, hhmm, next_allowed, next_time_of_day, zone

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


def _uncached_next_allowed(
    now: float, tz: ZoneInfo, start_min: int, end_min: int, weekdays: list[str] | None
) -> float:
    """next_allowed worked out from scratch (what the remembered windows must agree with)."""
    localtime._OPEN.clear()
    return next_allowed(now, tz, start_min, end_min, weekdays)


WINDOW_ZONES = [
    "America/New_York",
    "America/Havana",  # DST changes at midnight
    "Australia/Lord_Howe",  # a half-hour DST change
    "Europe/London",
    "Asia/Kolkata",
    "Pacific/Chatham",
]


def _offset_changes(names: list[str], year_start: float) -> list[float]:
    """The instants (to the hour) of a year at which one of the zones changes its offset."""
    found: list[float] = []
    for name in names:
        tz = ZoneInfo(name)
        before = datetime.fromtimestamp(year_start, tz).utcoffset()
        for hour in range(1, 366 * 24):
            at = year_start + hour * 3600
            offset = datetime.fromtimestamp(at, tz).utcoffset()
            if offset != before:
                found.append(at)
            before = offset
    return found


DST_CHANGES = _offset_changes(WINDOW_ZONES, 1767225600.0)  # 2026


@settings(max_examples=400, deadline=None)
@given(
    zone_name=st.sampled_from(WINDOW_ZONES),
    start=st.integers(0, 1439),
    length=st.integers(1, 1440),
    weekdays=st.one_of(st.none(), st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7)),
    first=st.one_of(
        st.floats(1.7e9, 1.9e9),
        st.sampled_from(DST_CHANGES).flatmap(lambda at: st.floats(at - 2 * 86400, at + 3600)),
    ),
    steps=st.lists(
        st.one_of(st.floats(0, 4 * 3600), st.floats(0, 3 * 86400)), min_size=1, max_size=12
    ),
)
def test_next_allowed_remembered_windows_agree(
    zone_name: str,
    start: int,
    length: int,
    weekdays: list[str] | None,
    first: float,
    steps: list[float],
) -> None:
    """A window remembered from one call gives the answer a fresh computation gives, at later
    moments of the same day and across DST changes."""
    tz = ZoneInfo(zone_name)
    end = min(start + length, 1440)
    moment = first
    localtime._OPEN.clear()
    for step in steps:
        moment += step
        got = next_allowed(moment, tz, start, end, weekdays)
        kept = dict(localtime._OPEN)
        assert got == _uncached_next_allowed(moment, tz, start, end, weekdays)
        localtime._OPEN.clear()
        localtime._OPEN.update(kept)
