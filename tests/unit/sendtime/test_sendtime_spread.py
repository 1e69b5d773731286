"""Spreading a campaign's sends: at most ``cap`` per hour, the overflow to the next best hour."""

from __future__ import annotations

import pytest

from leadflow.sendtime.spread import HourlyCap, spread


def test_overflow_moves_to_each_sends_next_best_hour() -> None:
    rankings = [[19, 20, 18]] * 5 + [[10, 19]]
    placed = spread(rankings, cap=2)
    assert placed == [19, 19, 20, 20, 18, 10]


def test_no_hour_gets_more_than_the_cap() -> None:
    rankings = [[h % 5, (h + 1) % 5, (h + 2) % 5, 7, 8, 9] for h in range(40)]
    placed = spread(rankings, cap=5)
    assert all(slot is not None for slot in placed)
    assert max(placed.count(slot) for slot in set(placed)) <= 5


def test_a_send_with_every_hour_full_gets_none() -> None:
    assert spread([[1], [1], [1, 2]], cap=1) == [1, None, 2]


def test_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="cap: must be at least 1 send per hour, got 0"):
        spread([[1]], cap=0)


def test_hourly_cap_counts_per_campaign_and_hour_and_forgets_past_hours() -> None:
    cap = HourlyCap(2)
    nine = 9 * 3600.0
    cap.take("promo:offer", nine + 60)
    cap.take("promo:offer", nine + 3000)
    assert not cap.has_room("promo:offer", nine + 10)
    assert cap.has_room("promo:offer", nine + 3600)  # the next hour
    assert cap.has_room("other:offer", nine)  # another campaign
    cap.forget_before(nine + 3600)
    assert cap.has_room("promo:offer", nine)
    with pytest.raises(ValueError, match="per_hour: must be at least 1"):
        HourlyCap(0)
