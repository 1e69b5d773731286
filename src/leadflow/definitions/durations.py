"""Durations: compact (``90s``, ``30m``, ``2h``, ``3d``, ``1w``, ``1d12h``) or ISO 8601 (``PT2H``).

:func:`parse_duration` turns the text into seconds; :func:`format_duration` writes seconds back
in the compact form. Units in a compact duration go from largest to smallest, each at most once
(``1h30m``, not ``30m1h``); whitespace between parts is allowed (``1h 30m``). ISO 8601 durations
may use weeks, days, hours, minutes and seconds (``P1W``, ``P1DT2H30M``, ``PT0S``); years and
months are refused because they have no fixed length.
"""

from __future__ import annotations

import math
import re

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
MAX_SECONDS = 3653 * DAY  # ten years, leap days included

EXAMPLES = "90s, 30m, 2h, 3d, 1w, 1d12h, 1h30m, PT2H, P1D, P1DT2H30M"

_NUM = r"(\d+(?:\.\d+)?)"
_COMPACT = re.compile(
    rf"^(?:{_NUM}w)?\s*(?:{_NUM}d)?\s*(?:{_NUM}h)?\s*(?:{_NUM}m)?\s*(?:{_NUM}s)?$",
    re.IGNORECASE | re.ASCII,
)
_ISO = re.compile(
    rf"^P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?$",
    re.IGNORECASE | re.ASCII,
)
_NUMBER_ONLY = re.compile(rf"^{_NUM}$", re.ASCII)
_PARTS_ANY_ORDER = re.compile(rf"^(?:{_NUM}[wdhms]\s*)+$", re.IGNORECASE | re.ASCII)
_COMPACT_UNITS = (WEEK, DAY, HOUR, MINUTE, 1)
_ISO_UNITS = (WEEK, DAY, HOUR, MINUTE, 1)
_UNIT_NAMES = (("w", WEEK), ("d", DAY), ("h", HOUR), ("m", MINUTE))


def _fail(text: object, problem: str) -> ValueError:
    return ValueError(f"invalid duration {text!r}: {problem}; valid examples: {EXAMPLES}")


def _total(parts: tuple[str | None, ...], units: tuple[int, ...]) -> float:
    return sum(float(p) * u for p, u in zip(parts, units, strict=True) if p is not None)


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises :class:`ValueError` (saying what is wrong) when invalid."""
    if not isinstance(text, str):
        raise _fail(text, f"expected a string, got {type(text).__name__}")
    s = text.strip()
    if not s:
        raise _fail(text, "empty")
    if s[0] in "-−":
        raise _fail(text, "negative durations are not allowed")
    if s[0] in "Pp":
        m = _ISO.match(s)
        if m is None or s.upper() in ("P", "PT") or s.upper().endswith("T"):
            raise _fail(text, "malformed ISO 8601 duration")
        years, months, *rest = m.groups()
        if years is not None or months is not None:
            raise _fail(text, "years and months have no fixed length; use days or weeks")
        seconds = _total(tuple(rest), _ISO_UNITS)
    else:
        m = _COMPACT.match(s)
        if m is None or not any(m.groups()):
            problem = "malformed; write a number followed by a unit (s, m, h, d or w)"
            if _NUMBER_ONLY.match(s):
                problem = "a unit is required (s, m, h, d or w)"
            elif _PARTS_ANY_ORDER.match(s):
                problem = "units must go from largest to smallest, each used once"
            raise _fail(text, problem)
        seconds = _total(m.groups(), _COMPACT_UNITS)
    if not math.isfinite(seconds) or seconds > MAX_SECONDS:
        raise _fail(text, "longer than 10 years")
    return seconds


def format_duration(seconds: float) -> str:
    """``seconds`` in the compact form (``5400`` -> ``1h30m``); ``0`` -> ``0s``."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError(f"expected a number of seconds, got {type(seconds).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot format {seconds!r} as a duration: need a finite number >= 0")
    whole = int(seconds)
    fraction = seconds - whole
    out: list[str] = []
    for name, unit in _UNIT_NAMES:
        count, whole = divmod(whole, unit)
        if count:
            out.append(f"{count}{name}")
    rest = round(whole + fraction, 6)
    if rest:
        text = str(int(rest)) if rest == int(rest) else f"{rest:.6f}".rstrip("0").rstrip(".")
        out.append(f"{text}s")
    return "".join(out) or "0s"
