"""The input guard skips decoding a JSON body that cannot hold a refused value: that shortcut
must never let one through (any body whose decoded value has a problem is decoded)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from leadflow.api.input_guard import _body
from leadflow.safe_input import value_problems

TEXT = st.text(st.characters(codec=None, categories=None), max_size=8) | st.sampled_from(
    ["\x00", "\ud800", "lead-000123", "1e400", "caf\u00e9"]
)
NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers()
VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _encodings(value: Any) -> list[bytes]:
    ascii_text = json.dumps(value)  # NaN and Infinity as literals, everything else escaped
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return [ascii_text.encode(), raw, ascii_text.encode("utf-16")]


@given(VALUES)
@example("\ud800")  # raw UTF-8 bytes ED A0 80: no escape, no NUL, still a lone surrogate
def test_a_body_with_a_refused_value_is_always_decoded_and_refused(value: Any) -> None:
    for body in _encodings(value):
        try:
            decoded = json.loads(body)
        except ValueError:
            continue  # not JSON the routes would read either
        if value_problems(decoded, "body"):
            assert _body("application/json", body), body[:80]


def test_numbers_that_are_not_finite_when_decoded_are_caught() -> None:
    for text in ["NaN", "-Infinity", "1e400", "-1.9E+308", "9" * 211 + "e99", "9" * 320 + ".5"]:
        body = b'{"n": ' + text.encode() + b"}"
        assert value_problems(json.loads(body), "body"), text
        assert [p.field for p in _body("application/json", body)] == ["body.n"]


def test_an_ordinary_body_is_passed_without_decoding() -> None:
    body = json.dumps({"type": "lead.created", "contact_id": "lead-000123", "n": 1e99}).encode()
    assert _body("application/json", body) == []
