"""Small readers of plain-English phrases: numbers, durations, times of day, weekdays, money,
US states and lead sources. Each takes lower-cased text and returns None when it finds nothing."""

from __future__ import annotations

import re

from leadflow.addresses import US_STATE_CODES
from leadflow.model.amounts import WORDS_TO_TEN

NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    **{word: n for word, n in WORDS_TO_TEN.items() if n},
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "sixty": 60,
    "ninety": 90,
    "a couple of": 2,
    "a couple": 2,
    "couple of": 2,
    "a few": 3,
    "few": 3,
}
UNIT_SECONDS = {
    "second": 1,
    "sec": 1,
    "minute": 60,
    "min": 60,
    "hour": 3600,
    "hr": 3600,
    "h": 3600,
    "day": 86400,
    "d": 86400,
    "week": 7 * 86400,
    "wk": 7 * 86400,
    "w": 7 * 86400,
    "fortnight": 14 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
# a number in digits or in words, as one group
NUMBER = (
    r"(\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True)) + ")"
)
_UNIT = (
    r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|w|fortnights?|months?"
    r"|years?)"
)
_WORD_UNIT = r"(seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|years?)"
# digits take any unit (2h, 3 days); number words only whole unit words ("an hour", not "and")
DURATION_RE = re.compile(rf"\b(\d+(?:\.\d+)?)[\s-]*{_UNIT}\b|\b{NUMBER}[\s-]+{_WORD_UNIT}\b")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
STATES = US_STATE_CODES  # "texas" -> "TX"
SOURCES = {
    "zillow": "zillow",
    "trulia": "trulia",
    "realtor.com": "realtor.com",
    "redfin": "redfin",
    "facebook": "facebook",
    "instagram": "instagram",
    "google": "google",
    "website": "website",
    "web site": "website",
    "homes.com": "homes.com",
    "open house": "open-house",
    "referral": "referral",
}


def number(word: str) -> float:
    word = word.strip()
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    return float(word)


def unit_seconds(unit: str) -> int:
    if unit not in UNIT_SECONDS and unit.endswith("s"):
        unit = unit[:-1]
    return UNIT_SECONDS[unit]


def seconds_of(match: re.Match[str]) -> int:
    if match.group(1) is not None:
        return int(number(match.group(1)) * unit_seconds(match.group(2)))
    return int(number(match.group(3)) * unit_seconds(match.group(4)))


def duration(text: str) -> int | None:
    """Seconds of the first duration in ``text`` ("2 hours", "a week", "half an hour")."""
    if re.search(r"\bhalf an? hour\b", text):
        return 1800
    if re.search(r"\ba year\b|\bannual|\banniversary\b", text) and not DURATION_RE.search(text):
        return 365 * 86400
    found = DURATION_RE.search(text)
    return seconds_of(found) if found else None


def fmt_duration(seconds: int) -> str:
    """The product's duration syntax: ``30m``, ``2h``, ``3d``, ``1w`` (largest exact unit)."""
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days // 7}w" if days % 7 == 0 and days < 365 else f"{days}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def time_of_day(text: str) -> str | None:
    """``HH:MM`` of the first time of day ("9am", "at 8:30", "5 pm", "noon", "at 9")."""
    if re.search(r"\bnoon\b", text):
        return "12:00"
    for found in re.finditer(
        r"\bat (\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?"
        r"|\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b",
        text,
    ):
        hour_s = found.group(1) or found.group(4)
        minute_s = found.group(2) or found.group(5) or "0"
        half = found.group(3) or found.group(6) or ""
        hour, minute = int(hour_s), int(minute_s)
        if half.startswith("p") and hour < 12:
            hour += 12
        if half.startswith("a") and hour == 12:
            hour = 0
        if not half and 1 <= hour <= 6:
            hour += 12  # "at 5" in a working day means the afternoon
        if 0 <= hour <= 23 and 0 <= minute <= 59:
            return f"{hour:02d}:{minute:02d}"
    if re.search(r"\bmorning\b", text):
        return "09:00"
    if re.search(r"\bafternoon\b", text):
        return "14:00"
    if re.search(r"\bevening\b", text):
        return "18:00"
    return None


def weekdays(text: str) -> list[str]:
    """Weekdays named in ``text`` in week order ("weekday" = mon-fri, "weekend" = sat, sun)."""
    days: set[str] = set()
    if re.search(r"\bweekdays?\b|business days?|workdays?", text):
        days.update(WEEKDAYS[:5])
    if re.search(r"\bweekends?\b", text):
        days.update(("sat", "sun"))
    for name, short in WEEKDAY_NAMES.items():
        if re.search(rf"\b{name}s?\b", text):
            days.add(short)
    return [d for d in WEEKDAYS if d in days]


def money(text: str) -> float | None:
    """``$1M`` -> 1000000, ``300k`` -> 300000, ``$450,000`` -> 450000."""
    found = re.search(r"\$?\s*(\d+(?:[.,]\d+)*)\s*(k|m|mm|million|thousand)?\b", text.lower())
    if not found:
        return None
    value = float(found.group(1).replace(",", ""))
    suffix = found.group(2) or ""
    if suffix in ("k", "thousand"):
        value *= 1000
    elif suffix in ("m", "mm", "million"):
        value *= 1_000_000
    return value


def state(text: str) -> str | None:
    for name, code in sorted(STATES.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{name}\b", text):
            return code
    return None


def sources(text: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for name, key in SOURCES.items():
        hit = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text)
        if hit and key not in (k for _, k in found):
            found.append((hit.start(), key))
    return [key for _, key in sorted(found)]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64] or "workflow"
