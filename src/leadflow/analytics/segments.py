"""Who converts: the lead attributes and behaviours that go with reaching the goal (the
workflow's goal events within the window, else any reply in the run), each segment with its
rate, 95 % Wilson interval and sample, tested against the rest of the runs (two-proportion
z-test), ranked, and corrected together by Benjamini-Hochberg like the insights. Segments:
lead source, area (state), the ``budget`` / ``timeline`` fields when leads carry them, the
channel of the first message, and speed to lead (minutes from entry to the first message:
under 5, 5-60, 60-1440, later, never). Groups smaller than ``min_n`` are listed without a test."""

from __future__ import annotations

import math
from typing import Any

from leadflow.analytics.funnel import FunnelData
from leadflow.analytics.insights import ALPHA, MIN_N, bh, converted, two_proportions

SPEED_BANDS = ((5.0, "under 5 min"), (60.0, "5-60 min"), (1440.0, "1-24 h"))


def wilson(x: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95 % Wilson score interval of x successes in n."""
    if n == 0:
        return (0.0, 1.0)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _speed(data: FunnelData, run: int) -> str:
    touch = data.first_touch.get(run)
    if touch is None:
        return "never"
    minutes = (touch[0] - data.entered_at.get(run, touch[0])) / 60
    for limit, name in SPEED_BANDS:
        if minutes < limit:
            return name
    return "later"


def _attributes(data: FunnelData, run: int) -> dict[str, str | None]:
    contact = data.contacts.get(data.contact_of[run])
    fields = contact.fields if contact else {}
    budget, timeline = fields.get("budget"), fields.get("timeline")
    touch = data.first_touch.get(run)
    return {
        "source": data.source_of.get(run),
        "area": contact.state if contact else None,
        "budget": None if budget in (None, "") else str(budget),
        "timeline": None if timeline in (None, "") else str(timeline),
        "first_channel": touch[1] if touch else None,
        "speed_to_lead": _speed(data, run),
    }


def segments(data: FunnelData, *, alpha: float = ALPHA, min_n: int = MIN_N) -> dict[str, Any]:
    won = converted(data)
    runs = set(data.contact_of)
    groups: dict[tuple[str, str], set[int]] = {}
    for run in runs:
        for attribute, value in _attributes(data, run).items():
            if value is not None:
                groups.setdefault((attribute, value), set()).add(run)
    rows = []
    for (attribute, value), ids in groups.items():
        x, n = len(ids & won), len(ids)
        rest = runs - ids
        row: dict[str, Any] = {
            "attribute": attribute,
            "value": value,
            "runs": n,
            "converted": x,
            "rate": round(x / n, 4),
            "interval95": [round(v, 4) for v in wilson(x, n)],
            "rest_rate": round(len(rest & won) / len(rest), 4) if rest else None,
            "p_value": None,
            "q_value": None,
            "significant": False,
        }
        if n >= min_n and len(rest) >= min_n:
            row["p_value"] = two_proportions(x, n, len(rest & won), len(rest))
        rows.append(row)
    tested = [r for r in rows if r["p_value"] is not None]
    for r, q in zip(tested, bh([r["p_value"] for r in tested]), strict=True):
        r["q_value"] = round(q, 6)
        r["p_value"] = round(r["p_value"], 6)
        r["significant"] = q <= alpha
    rows.sort(key=lambda r: (not r["significant"], -r["rate"], r["attribute"], r["value"]))
    return {"alpha": alpha, "min_n": min_n, "tested": len(tested), "segments": rows}


__all__ = ["segments", "wilson"]
