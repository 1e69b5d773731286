from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.definitions.durations import MAX_SECONDS, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("3d", 259_200),
        ("1w", 604_800),
        ("1d12h", 129_600),
        ("1h30m", 5400),
        ("1w2d3h4m5s", 604_800 + 2 * 86_400 + 3 * 3600 + 4 * 60 + 5),
        ("1h 30m", 5400),
        ("  2h  ", 7200),
        ("1.5h", 5400),
        ("0s", 0),
        ("2H", 7200),
        ("PT2H", 7200),
        ("P1D", 86_400),
        ("P1DT2H30M", 95_400),
        ("PT0S", 0),
        ("P2W", 1_209_600),
        ("PT1.5S", 1.5),
        ("pt5m", 300),
        ("P3650D", 3650 * 86_400),
    ],
)
def test_parse_valid(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-1h", "negative"),
        ("-PT1H", "negative"),
        ("5", "a unit is required"),
        ("30m1h", "largest to smallest"),
        ("1h1h", "largest to smallest"),
        ("2 hours", "malformed"),
        ("abc", "malformed"),
        ("h", "malformed"),
        ("P", "malformed ISO 8601"),
        ("PT", "malformed ISO 8601"),
        ("P1DT", "malformed ISO 8601"),
        ("PT-1H", "malformed ISO 8601"),
        ("P1M", "no fixed length"),
        ("P1Y", "no fixed length"),
        ("11000d", "longer than 10 years"),
        ("P600W", "longer than 10 years"),
        ("9" * 400 + "s", "longer than 10 years"),
    ],
)
def test_parse_invalid(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    message = str(info.value)
    assert problem in message
    assert repr(text) in message
    assert "valid examples: 90s" in message and "PT2H" in message


@pytest.mark.parametrize("value", [None, 5, 2.5, ["1h"]])
def test_parse_non_string(value: object) -> None:
    with pytest.raises(ValueError, match="expected a string"):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86_400, "1d"),
        (129_600, "1d12h"),
        (604_800, "1w"),
        (694_861, "1w1d1h1m1s"),
        (0.5, "0.5s"),
        (61.25, "1m1.25s"),
    ],
)
def test_format(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("value", [-1, float("nan"), float("inf"), True, "1h"])
def test_format_invalid(value: object) -> None:
    with pytest.raises(ValueError):
        format_duration(value)  # type: ignore[arg-type]


@pytest.mark.hypothesis_heavy
@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(min_value=0, max_value=MAX_SECONDS))
def test_format_parse_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
