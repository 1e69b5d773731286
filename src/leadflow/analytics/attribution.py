"""Revenue attribution of closed deals to the touches before them, in six models side by side.

A touch is a message that reached the deal's contact (delivered, or sent on a channel that
gives no receipt), or a human touch (a call made, a task done: an event of
``HUMAN_TOUCH_EVENTS``, credited to ``(human)``), within the lookback window before the close.
Models: ``first``, ``last``, ``linear``, ``u_shaped`` (40 % first, 40 % last, 20 % spread over
the middle), ``w_shaped`` (30 % first, 30 % the middle touch, 30 % last, 10 % spread over the
rest) and ``time_decay`` (weight 2^(-age / half-life)). With fewer touches than a shape has
places, the shape's weights of the touches present are renormalised (one touch takes all; two
take half each).

Credits are integer cents: each deal's value is split by exact fractions and rounded by the
largest-remainder method, so every model's credits sum exactly to each deal's value. A deal
without a touch is credited to ``(unattributed)``.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from leadflow.model.deals import Deal, money
from leadflow.model.records import Event, Message

MODELS = ("first", "last", "linear", "u_shaped", "w_shaped", "time_decay")
UNATTRIBUTED = "(unattributed)"
DAY = 86400.0
NO_RECEIPTS = ("webhook",)  # channels that never report a delivery


@dataclass(frozen=True, slots=True)
class Touch:
    at: float
    workflow: str
    node: str
    channel: str
    message_id: int


def touches_of(messages: Iterable[Message]) -> list[Touch]:
    """The messages that reached their contact, as touches in time order."""
    out = []
    for m in messages:
        reached = m.status == "delivered" or (m.status == "sent" and m.channel in NO_RECEIPTS)
        at = m.delivered_at if m.delivered_at is not None else m.sent_at
        if at is None or not (reached or m.delivered_at is not None):
            continue
        out.append(Touch(at, m.workflow_key or "(none)", m.node or "(none)", m.channel, m.id or 0))
    return sorted(out, key=lambda t: (t.at, t.message_id))


HUMAN = "(human)"


def human_touches(events: Iterable[Event]) -> list[Touch]:
    """Human touches (a call made, a task done: events of ``HUMAN_TOUCH_EVENTS``) as touches of
    the workflow ``(human)``, the node being the event type, the channel ``human``."""
    return [Touch(e.occurred_at, HUMAN, e.type, "human", -(e.id or 0)) for e in events]


def _shape(n: int, ends: tuple[Fraction, ...], middle: Fraction, rest: Fraction) -> list[Fraction]:
    """Position weights: ``ends`` (first, last), optionally a ``middle`` touch, ``rest`` shared
    by the others; renormalised over the places that exist."""
    if n == 1:
        return [Fraction(1)]
    w = [Fraction(0)] * n
    w[0] += ends[0]
    w[-1] += ends[1]
    others = list(range(1, n - 1))
    if middle and others:
        mid = others[(len(others) - 1) // 2]
        w[mid] += middle
        others.remove(mid)
    for i in others:
        w[i] += rest / len(others)
    total = sum(w)
    return [x / total for x in w]


def weights(model: str, ages_s: Sequence[float], half_life_s: float) -> list[Fraction]:
    """The share of each touch (oldest first; ``ages_s``: seconds before the close)."""
    n = len(ages_s)
    if n == 0:
        return []
    if model == "time_decay":
        raw = [Fraction(2.0 ** (-max(0.0, a) / half_life_s)) for a in ages_s]
        total = sum(raw)
        return [x / total for x in raw]
    return list(_by_position(model, n))


@functools.lru_cache(maxsize=1024)
def _by_position(model: str, n: int) -> tuple[Fraction, ...]:
    """The shares of the models that look at positions only (the same for every deal with
    ``n`` touches, so made once)."""
    return tuple(_position_weights(model, n))


def _position_weights(model: str, n: int) -> list[Fraction]:
    if model == "first":
        return [Fraction(1)] + [Fraction(0)] * (n - 1)
    if model == "last":
        return [Fraction(0)] * (n - 1) + [Fraction(1)]
    if model == "linear":
        return [Fraction(1, n)] * n
    if model == "u_shaped":
        return _shape(n, (Fraction(2, 5), Fraction(2, 5)), Fraction(0), Fraction(1, 5))
    if model == "w_shaped":
        return _shape(n, (Fraction(3, 10), Fraction(3, 10)), Fraction(3, 10), Fraction(1, 10))
    raise ValueError(f"unknown model {model!r}")


def split_cents(value: int, shares: Sequence[Fraction]) -> list[int]:
    """``value`` cents split by ``shares`` (summing to 1): floors, then the cents left over to
    the largest remainders (earlier touches first on ties). Sums exactly to ``value``."""
    parts = [(*divmod(value * s.numerator, s.denominator), s.denominator) for s in shares]
    floors = [q for q, _, _ in parts]  # shares are >= 0: floors of value * share, exactly
    left = value - sum(floors)
    if not left:
        return floors
    order = sorted(range(len(parts)), key=lambda i: (-Fraction(parts[i][1], parts[i][2]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


@dataclass(slots=True)
class Attribution:
    """Credits in cents by model, then by key (workflow, or workflow/node, channel...)."""

    by: str
    credits: dict[str, dict[str, int]]
    deals: int
    total: int
    per_deal: dict[str, dict[str, dict[str, int]]]  # deal -> model -> key -> cents


def _key(t: Touch, by: str) -> str:
    if by == "workflow":
        return t.workflow
    if by == "node":
        return f"{t.workflow}/{t.node}"
    if by == "channel":
        return t.channel
    return f"{t.workflow}/{t.node}#{t.message_id}"


def attribute(
    deals: Sequence[Deal],
    messages_by_contact: dict[str, list[Message]],
    *,
    human_by_contact: dict[str, list[Touch]] | None = None,
    by: str = "workflow",
    basis: str = "price",
    lookback_days: float = 90.0,
    half_life_days: float = 7.0,
) -> Attribution:
    """Credit every deal's value to its touches in each model."""
    credits: dict[str, dict[str, int]] = {m: defaultdict(int) for m in MODELS}
    per_deal: dict[str, dict[str, dict[str, int]]] = {}
    total = 0
    for deal in deals:
        value = deal.value(basis)
        total += value
        lo = deal.closed_at - lookback_days * DAY
        cid = deal.contact_id or ""
        mine_all = touches_of(messages_by_contact.get(cid, ()))
        mine_all += (human_by_contact or {}).get(cid, [])
        touches = sorted(
            (t for t in mine_all if lo <= t.at <= deal.closed_at + DAY),  # the close day counts
            key=lambda t: (t.at, t.message_id),
        )
        mine: dict[str, dict[str, int]] = {}
        for model in MODELS:
            got: dict[str, int] = defaultdict(int)
            if not touches:
                got[UNATTRIBUTED] = value
            else:
                ages = [deal.closed_at - t.at for t in touches]
                shares = weights(model, ages, half_life_days * DAY)
                for t, c in zip(touches, split_cents(value, shares), strict=True):
                    got[_key(t, by)] += c
            for k, c in got.items():
                credits[model][k] += c
            mine[model] = dict(got)
        per_deal[deal.deal_key] = mine
    return Attribution(by, {m: dict(c) for m, c in credits.items()}, len(deals), total, per_deal)


def attribution_json(a: Attribution) -> dict[str, Any]:
    """Per model, one row per key with its credit (currency units as exact decimal strings
    and integer cents)."""
    return {
        "by": a.by,
        "deals": a.deals,
        "total_cents": a.total,
        "models": {
            model: [
                {a.by: key, "credit": money(c), "credit_cents": c}
                for key, c in sorted(rows.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
            for model, rows in a.credits.items()
        },
    }


__all__ = [
    "HUMAN",
    "MODELS",
    "UNATTRIBUTED",
    "Attribution",
    "Touch",
    "attribute",
    "attribution_json",
    "human_touches",
    "split_cents",
    "touches_of",
    "weights",
]
