"""Free text to :class:`Criteria`: "3 bed condo in Austin under 450k with a pool".

Understood: bedroom and bathroom counts (digits or words, "3br", "2.5 baths", "3+", "at least",
"or more", "3-4 beds", "3/2"), prices ($450,000, 450k, 1.2m, 1.2 million, 600 grand) with
"under"/"max"/"over"/"from"... and ranges ("between 300k and 450k", "$300-450k"), 5-digit zip
codes, cities (see :mod:`leadflow.listings.places`), property sub types and feature words.

Not understood: negations ("no HOA", "without a pool" still asks for a pool), upper bounds on
bedrooms ("at most 3 beds" is dropped), square footage, lot size and year built.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from leadflow.errors import InvalidInput
from leadflow.listings.criteria import Criteria
from leadflow.listings.gazetteer import Gazetteer
from leadflow.listings.places import find_places
from leadflow.listings.vocabulary import (
    FEATURE_PHRASES,
    MAX_AFTER,
    MAX_CUES,
    MIN_AFTER,
    MIN_CUES,
    NUMBER_WORDS,
    SUB_TYPE_PHRASES,
)

MAX_TEXT = 2000
# Counts and prices beyond these are not read as criteria (a typo, or something else).
_MAX_COUNT = 100
_MAX_PRICE = 10_000_000_000

_NUM = re.compile(
    r"(?<![\w.,])(?P<dollar>\$\s?)?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:(?P<suf>k|mm|m|mil)\b|\s?(?P<word>million|mil|thousand|grand)\b)?"
)
_BED = r"bed(?:room)?s?|bedrms?|bdrms?|bdr?s?|brs?"
_BATH = r"bath(?:room)?s?|bths?|ba"
_OTHER = (
    r"sq|square|sf|ft|feet|foot|acres?|ac|car|cars|stor(?:y|ies|ey)|levels?|miles?|mi|minutes?|"
    r"mins?|years?|yrs?|percent|units?|doors?|days?|hours?|hrs?|months?|mo|weeks?|people|kids|"
    r"children|dogs?|cats?|pets?|x"
)
_UNIT = re.compile(
    r"\s*(?:\+|plus\b)?\s*(?:or (?:more|greater|bigger|larger)\s*)?-?\s*(?:full\s+)?"
    rf"(?:(?P<bed>{_BED})|(?P<bath>{_BATH})|(?P<other>{_OTHER}|%))(?![a-z])"
)
_UNIT_BEFORE = re.compile(
    rf"(?:(?P<bed>{_BED})|(?P<bath>{_BATH}))\s*:?\s*(?:at least|min(?:imum)?)?\s*$"
)
_FILLER = r"(?:\s*(?:of|is|at|around|about|roughly|approx(?:imately)?|price[ds]?|a|an|the|:|-))*"
_MAX_BEFORE = re.compile(rf"(?<![\w<>])(?:{MAX_CUES}){_FILLER}\s*$")
_MIN_BEFORE = re.compile(rf"(?<![\w<>])(?:{MIN_CUES}){_FILLER}\s*$")
_MAX_NEXT = re.compile(rf"\s*(?:{MAX_AFTER})(?!\w)")
_MIN_NEXT = re.compile(rf"\s*(?:{MIN_AFTER})(?!\w)")
_RANGE_SEP = re.compile(r"\s*(?:-|to|through|thru|and|or)\s*")
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "mm": 1e6, "mil": 1e6}
_MULTIPLIERS["million"] = 1e6
_PHRASES = [(re.compile(rf"\b(?:{p})\b"), "type", v) for p, v in SUB_TYPE_PHRASES.items()] + [
    (re.compile(rf"\b(?:{p})\b"), "feature", v) for p, v in FEATURE_PHRASES.items()
]


@dataclass(slots=True)
class _Number:
    start: int
    end: int
    value: float
    digits: str  # the number as written, without "$" or a suffix
    dollar: bool
    mult: float | None
    unit: str | None  # "bed", "bath", "other" or None
    bound: str | None = None  # "min", "max" or None
    in_range: bool = False


def _normalise(text: str) -> str:
    t = text.lower().replace("–", "-").replace("—", "-").replace("’", "'")
    t = re.sub(r"\b(\d{5})-\d{4}\b", r"\1", t)  # ZIP+4
    t = re.sub(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", lambda m: str(NUMBER_WORDS[m[1]]), t)
    t = re.sub(r"\bhalf a (?:million|mil)\b", "500k", t)
    t = re.sub(r"\ba (?:million|mil)\b", "1m", t)
    t = re.sub(r"(\d)\s*(?:½|and a half|and 1/2|1/2)(?!\d)", r"\1.5", t)
    t = re.sub(r"(?<=\d)\s+\.5\b", ".5", t)
    return re.sub(
        r"(?<![\d/$.,])(\d{1,2})\s?/\s?(\d(?:\.5)?)(?![\d/%.]|\s*(?:k|m|acres?|ac|mi)\b)",
        r"\1 bed \2 bath",
        t,
    )


def _phrases(t: str) -> tuple[list[str], list[str], str]:
    """Sub types and features in order of appearance, longest phrase first; the text with
    them blanked out (so "2 car garage" gives no number)."""
    hits = [(m.start(), m.end(), kind, v) for rx, kind, v in _PHRASES for m in rx.finditer(t)]
    hits.sort(key=lambda h: (h[0], h[0] - h[1]))
    types: list[str] = []
    features: list[str] = []
    end = 0
    chars = list(t)
    for start, stop, kind, value in hits:
        if start < end:
            continue
        end = stop
        chars[start:stop] = " " * (stop - start)
        bucket = types if kind == "type" else features
        if value not in bucket:
            bucket.append(value)
    return types, features, "".join(chars)


def _numbers(t: str) -> list[_Number]:
    out: list[_Number] = []
    for m in _NUM.finditer(t):
        suffix = m["suf"] or m["word"]
        mult = _MULTIPLIERS[suffix] if suffix else None
        digits = m["num"]
        value = float(digits.replace(",", "")) * (mult or 1)
        unit_m = _UNIT.match(t, m.end())
        unit = None
        if unit_m and not suffix:
            unit = "bed" if unit_m["bed"] else "bath" if unit_m["bath"] else "other"
        elif unit_m and unit_m["other"]:
            unit = "other"  # "3k sq ft"
        num = _Number(m.start(), m.end(), value, digits, bool(m["dollar"]), mult, unit)
        if num.unit is None:
            before = _UNIT_BEFORE.search(t, max(0, m.start() - 20), m.start())
            if before and not _UNIT.match(t, m.end()):
                num.unit = "bed" if before["bed"] else "bath"
        out.append(num)
    return out


def _bound(t: str, num: _Number, prev_end: int) -> str | None:
    prefix = t[max(prev_end, num.start - 40) : num.start]
    cues = []
    for rx, bound in ((_MAX_BEFORE, "max"), (_MIN_BEFORE, "min")):
        found = rx.search(prefix)
        if found:
            cues.append((found.start(), bound))
    if cues:
        return min(cues)[1]  # the longer cue: "not less than" over "less than"
    if _MAX_NEXT.match(t, num.end):
        return "max"
    if _MIN_NEXT.match(t, num.end):
        return "min"
    return None


def _is_money(num: _Number) -> bool:
    plain_zip = len(num.digits) == 5 and num.digits.isdigit() and not num.dollar
    if num.unit is not None or (plain_zip and num.mult is None and num.bound is None):
        return False
    return (
        num.dollar
        or num.mult is not None
        or "," in num.digits
        or num.value >= 100_000
        or num.bound is not None
    )


def _ranges(t: str, nums: list[_Number]) -> None:
    """Pair "3-4 beds", "$300-450k", "between 300k and 1.2m", "from 300k to 450k"."""
    for a, b in itertools.pairwise(nums):
        sep = _RANGE_SEP.fullmatch(t, a.end, b.start)
        if not sep or a.in_range or a.unit is not None:
            continue
        word = sep.group().strip()
        if b.unit in ("bed", "bath"):
            a.unit, a.bound, a.in_range, b.in_range = b.unit, "min", True, True
            continue
        if b.unit is not None or word == "or":
            continue
        if word == "and" and not re.search(r"between\s*$", t[: a.start]):
            continue
        if a.mult is None and b.mult is not None:
            for mult in sorted({b.mult, 1e3}, reverse=True):
                if a.value * mult <= b.value:
                    a.value, a.mult = a.value * mult, mult
                    break
        if (_is_money(a) or _is_money(b)) and a.value <= b.value:
            a.bound, b.bound, a.in_range, b.in_range = "min", "max", True, True


def parse_criteria(text: str, tenant_cities: Iterable[str] | None = None) -> Criteria:
    """What ``text`` asks for. Cities are found after a cue word ("in", "near") or before a
    property word, and anywhere when the gazetteer knows them: US cities, and the
    ``tenant_cities`` (those of the tenant's listings). Raises :class:`InvalidInput` naming
    ``text`` when it is empty or too long."""
    if not text or not text.strip():
        raise InvalidInput("text: is empty; describe what the lead is looking for")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"text: is {len(text)} characters long; at most {MAX_TEXT}")
    places = find_places(text, Gazetteer(tenant_cities or ()))
    masked = list(text)
    for place in places:
        masked[place.start : place.end] = " " * (place.end - place.start)
    types, features, t = _phrases(_normalise("".join(masked)))
    nums = _numbers(t)
    prev_end = 0
    for num in nums:
        num.bound = _bound(t, num, prev_end)
        prev_end = num.end
    _ranges(t, nums)
    beds = [n for n in nums if n.unit == "bed" and n.bound != "max" and n.value <= _MAX_COUNT]
    baths = [n for n in nums if n.unit == "bath" and n.bound != "max" and n.value <= _MAX_COUNT]
    money = [n for n in nums if _is_money(n) and n.value <= _MAX_PRICE]
    for num in money:
        if num.value < 1000 and not num.dollar and num.mult is None:
            num.value *= 1000  # "condo under 400": thousands
    zips = [n.digits for n in nums if n.unit is None and not _is_money(n) and len(n.digits) == 5]
    lows = [n.value for n in money if n.bound == "min"]
    highs = [n.value for n in money if n.bound in ("max", None)]
    return Criteria(
        min_beds=int(beds[0].value) if beds else None,
        min_baths=baths[0].value if baths else None,
        min_price=round(lows[0]) if lows else None,
        max_price=round(highs[0]) if highs else None,
        cities=[p.name for p in places],
        postal_codes=list(dict.fromkeys(z for z in zips if z.isdigit())),
        property_sub_types=types,
        features=features,
    )
