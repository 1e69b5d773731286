"""Compact JSON for the values the store keeps in JSON columns (and definitions compare).

Both backends keep JSON-ish fields as compact JSON text, so a value read back is exactly what
SQLite would return (tuples become lists, keys become strings) whichever backend stored it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from leadflow.errors import StoreError


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _make_encoder() -> Callable[[Any], str]:
    """Compact JSON. Calls CPython's C encoder directly when it is there: half the cost of
    ``json.dumps`` for the small dicts of the hot path."""
    fallback = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
    if c_make_encoder is None:  # pragma: no cover - not CPython
        return fallback
    try:
        chunks = c_make_encoder(
            None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, True
        )
        join = "".join

        def encode(value: Any) -> str:
            if isinstance(value, str):
                return fallback(value)
            return join(chunks(value, 0))

        if encode({"a": [1, 2.5, None, True, "é"]}) != fallback({"a": [1, 2.5, None, True, "é"]}):
            return fallback  # pragma: no cover
        return encode
    except TypeError:  # pragma: no cover - another signature
        return fallback


_encode = _make_encoder()
# The C scanner, without the wrapper's whitespace regexes (an attribute typeshed does not list).
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def loads(text: str) -> Any:
    """Decode JSON text (fast path for the compact JSON the store writes)."""
    if text == "{}":
        return {}
    if text == "[]":
        return []
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        return json.loads(text)  # raises the proper error, or copes with leading space
    if end != len(text):
        return json.loads(text)
    return value


def dumps(value: Any) -> str:
    """Compact JSON text; a value that is not JSON raises StoreError (nothing is written)."""
    if not value:
        kind = type(value)
        if kind is dict:
            return "{}"
        if kind is list:
            return "[]"
    try:
        return _encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise StoreError(f"cannot store value as JSON: {exc}") from exc


def dumps_opt(value: Any) -> str | None:
    return None if value is None else dumps(value)


def loads_dict(text: str) -> dict[str, Any]:
    value: dict[str, Any] = loads(text)
    return value


def loads_opt(text: str | None) -> Any:
    return None if text is None else loads(text)
