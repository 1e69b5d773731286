"""``timing`` and ``max_delay`` on send nodes: accepted where they make sense, named when not."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.definitions.validation import validate


def definition(kind: str = "send_sms", **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"id": "hello", "kind": kind, **extra}
    if kind == "send_sms":
        node["body"] = "Hi"
    elif kind == "send_email":
        node.update(subject="Hi", body="Hello")
    else:
        node["say"] = "Hello"
    return {"key": "w", "name": "W", "start": "hello", "nodes": [node]}


@pytest.mark.parametrize("kind", ["send_sms", "send_email", "voice_call"])
def test_optimal_timing_with_and_without_max_delay(kind: str) -> None:
    report = validate(definition(kind, timing="optimal", max_delay="36h"))
    assert report.errors == []
    assert report.definition is not None
    node = report.definition.nodes[0]
    assert node.timing == "optimal"  # type: ignore[union-attr]
    assert node.max_delay_s() == 36 * 3600  # type: ignore[union-attr]
    plain = validate(definition(kind, timing="optimal")).definition
    assert plain is not None
    assert plain.nodes[0].max_delay_s() == 24 * 3600  # type: ignore[union-attr]


def test_default_timing_is_now() -> None:
    report = validate(definition())
    assert report.definition is not None
    assert report.definition.nodes[0].timing == "now"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("extra", "field", "problem"),
    [
        ({"max_delay": "2h"}, "max_delay", "max_delay needs timing: optimal"),
        ({"timing": "optimal", "max_delay": "8d"}, "max_delay", "'8d' is more than 7 days"),
        ({"timing": "optimal", "max_delay": "-2h"}, "max_delay", "negative durations"),
        ({"timing": "optimal", "max_delay": "soon"}, "max_delay", "invalid duration 'soon'"),
        ({"timing": "later"}, "timing", "expected one of 'now' or 'optimal'"),
    ],
)
def test_bad_timing_names_the_field(extra: dict[str, str], field: str, problem: str) -> None:
    errors = validate(definition(**extra)).errors
    assert len(errors) == 1
    path, _, message = errors[0].partition(": ")
    assert path.startswith("nodes[0]") and path.endswith(f".{field}")
    assert problem in message
