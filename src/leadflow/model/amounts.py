"""Amounts as leads and imports write them: ``850000``, ``"$850k"``, ``"1.2M"``,
``"1,200,000"``: one reading for every feature that compares a budget or a price; and the
number words that the text readers share."""

from __future__ import annotations

import math
from typing import Any

_SCALES = {"k": 1e3, "m": 1e6}


def amount(value: Any) -> float | None:
    """The number a field's value stands for, or None (missing, a boolean, not a finite number).
    Commas and a dollar sign are ignored; a trailing ``k`` or ``m`` scales by 1,000 or 1,000,000."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    text = str(value).strip().lower().replace(",", "").replace("$", "")
    scale = _SCALES.get(text[-1:], 1.0)
    if scale != 1.0:
        text = text[:-1]
    try:
        number = float(text) * scale
    except ValueError:
        return None
    return number if math.isfinite(number) else None


# The number words up to ten, as both the criteria parser and the workflow planner read them.
WORDS_TO_TEN = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

__all__ = ["WORDS_TO_TEN", "amount"]
