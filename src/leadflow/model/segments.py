"""How many SMS segments a text takes, as carriers count and bill them (3GPP TS 23.038).

A text in the GSM 7-bit default alphabet fits 160 characters in one segment, 153 per segment
once split (the rest carries the concatenation header); the extension characters (``^ { } \\ [ ~
] | €``) take two. One character outside the alphabet -- an emoji, a curly quote, an accented
letter GSM lacks -- turns the whole text into UCS-2: 70 UTF-16 units in one segment, 67 once
split (an emoji takes two units)."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = "GSM-7"
UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: str  # GSM-7 or UCS-2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    non_gsm: str  # the distinct characters that forced UCS-2, in order of appearance


def count(text: str) -> Segments:
    """The encoding, length in units and segments of ``text`` (0 segments when empty)."""
    non_gsm = "".join(
        dict.fromkeys(c for c in text if c not in GSM7_BASIC and c not in GSM7_EXTENSION)
    )
    if non_gsm:
        units = len(text.encode("utf-16-le")) // 2
        single, split = 70, 67
        encoding = UCS2
    else:
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, split = 160, 153
        encoding = GSM7
    if units == 0:
        parts = 0
    elif units <= single:
        parts = 1
    else:
        parts = -(-units // split)
    return Segments(encoding, units, parts, non_gsm)
