"""Attribution models: the shapes' weights, exact cents by largest remainder, credits summing to
each deal's value in every model (property-checked), the lookback window."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from leadflow.analytics.attribution import (
    MODELS,
    UNATTRIBUTED,
    attribute,
    split_cents,
    weights,
)
from leadflow.model.deals import Deal
from leadflow.model.records import Message

DAY = 86400.0
CLOSE = 1_780_000_000.0


def msg(mid: int, at: float, wf: str = "wf", node: str = "n", channel: str = "sms") -> Message:
    m = Message(run_id=1, contact_id="c1", workflow_key=wf, node=node, channel=channel, to="x",
                idempotency_key=f"k{mid}", due_at=at, created_at=at)  # fmt: skip
    m.id, m.status, m.sent_at, m.delivered_at = mid, "delivered", at, at
    return m


def test_the_shapes() -> None:
    f = Fraction
    assert weights("u_shaped", [3, 2, 1, 0], 1.0) == [f(2, 5), f(1, 10), f(1, 10), f(2, 5)]
    assert weights("w_shaped", [4, 3, 2, 1, 0], 1.0) == [
        f(3, 10), f(1, 20), f(3, 10), f(1, 20), f(3, 10)
    ]  # fmt: skip
    assert weights("u_shaped", [1, 0], 1.0) == [f(1, 2), f(1, 2)]
    assert weights("w_shaped", [2, 1, 0], 1.0) == [f(1, 3)] * 3
    assert weights("first", [5], 1.0) == weights("time_decay", [5], 1.0) == [f(1)]
    decay = weights("time_decay", [2 * DAY, 0], DAY)
    assert decay == [f(1, 5), f(4, 5)]  # half-life one day: the older touch weighs a quarter


def test_largest_remainder_gives_the_odd_cents_to_the_largest_fractions() -> None:
    assert split_cents(100, [Fraction(1, 3)] * 3) == [34, 33, 33]
    assert split_cents(101, [Fraction(1, 6), Fraction(1, 2), Fraction(1, 3)]) == [17, 50, 34]


@given(
    value=st.integers(0, 10**13),
    ages=st.lists(st.floats(0, 89 * DAY), min_size=0, max_size=12),
    half_life=st.floats(0.5, 30),
)
def test_every_model_credits_exactly_the_deal_value(
    value: int, ages: list[float], half_life: float
) -> None:
    deal = Deal("t", "D", "buy", value, "2026-06-01", CLOSE, contact_id="c1")
    messages = [msg(i + 1, CLOSE - a, node=f"n{i % 3}") for i, a in enumerate(ages)]
    result = attribute([deal], {"c1": messages}, by="node", half_life_days=half_life)
    for model in MODELS:
        assert sum(result.credits[model].values()) == value
        assert all(c >= 0 for c in result.credits[model].values())


def test_touches_outside_the_lookback_or_undelivered_do_not_count() -> None:
    old = msg(1, CLOSE - 100 * DAY, wf="old")
    failed = msg(2, CLOSE - DAY, wf="failed")
    failed.status, failed.delivered_at = "failed", None
    deal = Deal("t", "D", "sell", 30_000_00, "2026-06-01", CLOSE, contact_id="c1")
    result = attribute([deal], {"c1": [old, failed]})
    assert result.credits["linear"] == {UNATTRIBUTED: 30_000_00}
    kept = attribute([deal], {"c1": [old, msg(3, CLOSE - 2 * DAY, wf="new")]}, lookback_days=120)
    assert kept.credits["first"] == {"old": 30_000_00, "new": 0}  # every touched key shows
    assert kept.credits["last"] == {"old": 0, "new": 30_000_00}
    assert kept.credits["linear"] == {"old": 15_000_00, "new": 15_000_00}


def test_commission_basis_credits_the_commission() -> None:
    deal = Deal(
        "t", "D", "buy", 500_000_00, "2026-06-01", CLOSE, contact_id="c1", commission=15_000_01
    )
    result = attribute(
        [deal], {"c1": [msg(1, CLOSE - DAY), msg(2, CLOSE - 2 * DAY, wf="b")]}, basis="commission"
    )
    assert result.total == 15_000_01
    assert sorted(result.credits["linear"].values()) == [7_500_00, 7_500_01]
