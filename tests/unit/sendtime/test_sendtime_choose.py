"""Choosing the moment: best bucket inside the windows and within max_delay; exploration."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from leadflow.sendtime.choose import candidates, choose_moment
from leadflow.sendtime.model import BUCKETS, bucket_of

NY = ZoneInfo("America/New_York")
# Wednesday 12 June 2024, 09:20 in New York.
NOW = datetime(2024, 6, 12, 9, 20, tzinfo=NY).timestamp()
WEDNESDAY = 2 * 24


def window(start: int, end: int) -> object:
    """The earliest moment at or after ``t`` whose local hour is in [start, end)."""

    def earliest(t: float) -> float:
        local = datetime.fromtimestamp(t, NY)
        if start <= local.hour < end:
            return t
        opening = local.replace(hour=start, minute=0, second=0, microsecond=0).timestamp()
        return opening if local.hour < start else opening + 86400

    return earliest


def peaked(*buckets: int, value: float = 0.5) -> np.ndarray:
    means = np.full(BUCKETS, 0.05)
    for b in buckets:
        means[b] = value
    return means


def test_candidates_are_now_then_each_local_top_of_the_hour() -> None:
    found = candidates(NOW, NY, 3 * 3600)
    assert found[0] == NOW
    assert [datetime.fromtimestamp(t, NY).strftime("%H:%M") for t in found[1:]] == [
        "10:00",
        "11:00",
        "12:00",
    ]


def test_the_best_allowed_bucket_wins() -> None:
    means = peaked(WEDNESDAY + 19)
    choice = choose_moment(NOW, NY, means, window(8, 21), 86400, random.Random(1), explore=0)
    assert datetime.fromtimestamp(choice.at, NY) == datetime(2024, 6, 12, 19, 0, tzinfo=NY)
    assert choice.bucket == WEDNESDAY + 19
    assert choice.mean == pytest.approx(0.5)
    assert not choice.explored and choice.reason == "best"


def test_compliance_wins_over_the_model() -> None:
    # The lead engages most at 23:00 Wednesday, but quiet hours start at 21:00.
    means = peaked(WEDNESDAY + 23)
    means[WEDNESDAY + 20] = 0.2
    choice = choose_moment(NOW, NY, means, window(8, 21), 86400, random.Random(1), explore=0)
    assert datetime.fromtimestamp(choice.at, NY).hour == 20


def test_never_beyond_max_delay() -> None:
    means = peaked(3 * 24 + 19)  # Thursday 19:00, 33 h away
    choice = choose_moment(NOW, NY, means, window(8, 21), 24 * 3600, random.Random(1), explore=0)
    assert choice.at <= NOW + 24 * 3600
    assert choice.bucket != 3 * 24 + 19
    later = choose_moment(NOW, NY, means, window(8, 21), 48 * 3600, random.Random(1), explore=0)
    assert later.bucket == 3 * 24 + 19


def test_a_tie_sends_now() -> None:
    flat = np.full(BUCKETS, 0.1)
    choice = choose_moment(NOW, NY, flat, window(8, 21), 86400, random.Random(1), explore=0)
    assert choice.at == NOW


def test_nothing_allowed_within_max_delay_takes_the_first_legal_moment() -> None:
    night = datetime(2024, 6, 12, 22, 0, tzinfo=NY).timestamp()
    choice = choose_moment(night, NY, peaked(5), window(8, 21), 3600, random.Random(1), explore=0)
    assert datetime.fromtimestamp(choice.at, NY) == datetime(2024, 6, 13, 8, 0, tzinfo=NY)
    assert choice.reason == "no_allowed_hour"


def test_about_one_send_in_ten_explores_an_allowed_hour_and_reproduces() -> None:
    means = peaked(WEDNESDAY + 19)
    earliest = window(8, 21)

    def picks(seed: int) -> list[tuple[float, bool]]:
        rng = random.Random(seed)
        out = []
        for _ in range(2000):
            c = choose_moment(NOW, NY, means, earliest, 86400, rng)
            out.append((c.at, c.explored))
        return out

    first = picks(7)
    assert first == picks(7)
    explored = [at for at, e in first if e]
    assert 0.08 < len(explored) / len(first) < 0.12
    assert all(8 <= datetime.fromtimestamp(at, NY).hour < 21 for at in explored)
    # Every allowed hour of the next 24 h gets explored: Wednesday 09:20 (now) to 20:00,
    # Thursday 08:00 and 09:00.
    allowed = {WEDNESDAY + h for h in range(9, 21)} | {3 * 24 + 8, 3 * 24 + 9}
    assert {bucket_of(at, NY) for at in explored} == allowed
    assert all(at == first[0][0] for at, e in first if not e)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_delay": -1.0}, "max_delay: must be between 0 and 7 days"),
        ({"max_delay": 8 * 86400.0}, "max_delay: must be between 0 and 7 days"),
        ({"explore": 1.5}, "explore: must be between 0 and 1"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, float], message: str) -> None:
    args = {"max_delay": 3600.0, "explore": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        choose_moment(
            NOW, NY, peaked(1), window(8, 21), args["max_delay"], random.Random(), args["explore"]
        )


def test_means_must_cover_the_week() -> None:
    with pytest.raises(ValueError, match="means: expected 168 values, got 24"):
        choose_moment(NOW, NY, np.zeros(24), window(8, 21), 3600, random.Random())


def test_a_full_hour_is_skipped_for_the_next_best() -> None:
    means = peaked(WEDNESDAY + 19)
    means[WEDNESDAY + 18] = 0.3
    full = datetime(2024, 6, 12, 19, 0, tzinfo=NY).timestamp()
    choice = choose_moment(
        NOW, NY, means, window(8, 21), 86400, random.Random(1), 0, room=lambda t: t != full
    )
    assert datetime.fromtimestamp(choice.at, NY).hour == 18
    everything_full = choose_moment(
        NOW, NY, means, window(8, 21), 86400, random.Random(1), 0, room=lambda t: False
    )
    assert datetime.fromtimestamp(everything_full.at, NY).hour == 19
