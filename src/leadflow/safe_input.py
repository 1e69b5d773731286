"""What text and numbers from outside must be before anything stores them.

Python's ``json`` module accepts a lone UTF-16 surrogate escape (``"\\ud800"``) and gives back a
``str`` that cannot be encoded as UTF-8, so SQLite, PostgreSQL and every JSON response then
fail on it; PostgreSQL text cannot hold a NUL character at all; ``NaN`` and ``Infinity`` are no
JSON a response can carry. (Integers need no check here: free-form JSON keeps them as text, and
every integer field of the API declares its range, ids up to 2**62.) These checks
name the first such value under a field path (``body.events[3].data.note``), so the caller can
answer 422 instead of failing later with a 5xx. Used by the API's input guard
(:mod:`leadflow.api.input_guard`) and by the provider and inbound webhook parsers.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeGuard

from leadflow.errors import InvalidInput

MAX_ID = 2**63 - 1  # the largest id (a 64-bit signed integer column) any store holds

NUL = "contains a NUL character"
LONE_SURROGATE = "contains a lone surrogate"
NOT_FINITE = "is not a finite number"


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as it is, or None."""
    if "\x00" in text:
        return NUL
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return LONE_SURROGATE
    return None


def printable(text: str) -> str:
    """``text`` with NUL and lone surrogates escaped (``\\u0000``, ``\\ud800``), so a field
    path naming a bad key can itself be sent back as JSON."""
    escaped = text.replace("\x00", "\\u0000")
    return escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def value_problems(value: Any, path: str, limit: int = 20) -> list[tuple[str, str]]:
    """``(field path, problem)`` for each string (keys included) and float in a decoded JSON
    value that no store or response can hold; at most ``limit`` of them. Walks
    iteratively, so a deeply nested document cannot exhaust the stack."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack and len(found) < limit:
        where, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                found.append((where, problem))
        elif isinstance(item, float):
            if not math.isfinite(item):
                found.append((where, NOT_FINITE))
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                name = str(key)
                child_path = f"{where}.{printable(name)}" if where else printable(name)
                problem = text_problem(name)
                if problem:
                    found.append((child_path, f"the key {problem}"))
                children.append((child_path, child))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(f"{where}[{i}]", child) for i, child in enumerate(item)]))
    return found[:limit]


def is_id(value: Any) -> TypeGuard[int]:
    """Whether ``value`` can name a stored row: an int (not a bool) in ``1..MAX_ID``."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def id_problem(value: Any) -> str | None:
    """Why ``value`` is not an id (None when it is one)."""
    if is_id(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value} is out of range (1..{MAX_ID})"
    return f"must be an integer id, not {type(value).__name__}"


def row_id(raw: object) -> int | None:
    """An id a store can look up (1 .. 2**63-1) from an outside value: an int, or a string of
    at most 19 ASCII digits; None for anything else (a 5,000-digit string, a float, a bool)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if is_id(raw) else None
    if isinstance(raw, str):
        text = raw.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
        return number if is_id(number) else None
    return None


def json_object(body: bytes) -> dict[str, Any]:
    """A webhook post's body as the JSON object it must be; InvalidInput when it is not JSON
    ("the body must be JSON") or not an object."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("the body must be JSON") from None
    if not isinstance(doc, dict):
        raise InvalidInput("the body must be a JSON object")
    return doc
