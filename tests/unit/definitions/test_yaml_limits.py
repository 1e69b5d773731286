"""A YAML alias bomb is refused before it expands; ordinary anchors and merge keys still work."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from leadflow.definitions import validate
from leadflow.definitions.io import YamlLimits, load_file, load_text
from leadflow.errors import InvalidInput


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": each level lists the one before ``width`` times (9**9 values)."""
    lines = ["a: &a [" + ", ".join(["lol"] * width) + "]"]
    previous = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * width) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def test_the_alias_bomb_is_refused_quickly_with_a_clear_error() -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) <= 501
    started = time.process_time()
    with pytest.raises(InvalidInput) as caught:
        load_text(bomb, filename="bomb.yaml")
    assert time.process_time() - started < 0.2
    assert caught.value.message == (
        "invalid YAML in bomb.yaml at line 6, column 4: aliases expand to more than 100000 "
        "values (LEADFLOW_MAX_YAML_NODES)"
    )


def test_too_many_aliases_and_self_reference_are_refused() -> None:
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    with pytest.raises(InvalidInput, match=r"more than 100 aliases \(LEADFLOW_MAX_YAML_ALIASES\)"):
        load_text(many)
    with pytest.raises(InvalidInput, match="an alias refers to a value that contains it"):
        load_text("a: &a [1, *a]\n")


def test_lower_limits_are_honoured() -> None:
    text = "base: &b {x: 1, y: 2}\none: {<<: *b, z: 3}\ntwo: [*b, *b]\n"
    assert load_text(text) == {
        "base": {"x": 1, "y": 2},
        "one": {"x": 1, "y": 2, "z": 3},
        "two": [{"x": 1, "y": 2}, {"x": 1, "y": 2}],
    }
    with pytest.raises(InvalidInput, match="more than 2 aliases"):
        load_text(text, limits=YamlLimits(max_aliases=2))
    with pytest.raises(InvalidInput, match="aliases expand to more than 10 values"):
        load_text(text, limits=YamlLimits(max_nodes=10))
    with pytest.raises(InvalidInput, match=r"is 56 bytes, more than 40 \(LEADFLOW_MAX_DEF"):
        load_text(text, filename="w.yaml", limits=YamlLimits(max_bytes=40))


def test_an_oversize_file_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("key: " + "x" * 5000 + "\n")
    with pytest.raises(InvalidInput, match=r"big.yaml is 5006 bytes, more than 1024"):
        load_file(path, limits=YamlLimits(max_bytes=1024))


def test_a_workflow_with_anchors_still_validates() -> None:
    text = """
key: anchors
name: Anchors
start: a
nodes:
  - &sms {id: a, kind: send_sms, body: "Hi", next: b}
  - {<<: *sms, id: b, next: null}
"""
    assert validate(load_text(text)).ok
