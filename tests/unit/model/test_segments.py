"""SMS segments as carriers bill them: GSM-7 160/153, UCS-2 70/67, extension characters 2."""

from __future__ import annotations

import pytest

from leadflow.model.segments import count


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("Price: 450€ [firm]", "GSM-7", 21, 1),  # € [ ] take two septets each
        ("{" * 80, "GSM-7", 160, 1),
        ("{" * 81, "GSM-7", 162, 2),
        ("Café à Zürich, señor", "GSM-7", 20, 1),  # é à ü ñ are in the GSM alphabet
        ("a" * 70 + "ç", "UCS-2", 71, 2),  # lower-case ç is not (only Ç is)
        ("x" * 70, "GSM-7", 70, 1),
        ("\u2019" * 70, "UCS-2", 70, 1),
        ("\u2019" * 71, "UCS-2", 71, 2),
        ("\u2019" * 134, "UCS-2", 134, 2),
        ("\u2019" * 135, "UCS-2", 135, 3),
        ("Hi \U0001f600", "UCS-2", 5, 1),  # an emoji is two UTF-16 units
    ],
)
def test_counts(text: str, encoding: str, units: int, segments: int) -> None:
    found = count(text)
    assert (found.encoding, found.units, found.segments) == (encoding, units, segments)


def test_names_what_forced_ucs2() -> None:
    assert count("It\u2019s here \U0001f3e1\u2019").non_gsm == "\u2019\U0001f3e1"
    assert count("plain").non_gsm == ""
