from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadflow.definitions import (
    dump_yaml,
    load_file,
    load_text,
    validate,
    workflow_json_schema,
)
from leadflow.definitions.io import dump_json
from leadflow.definitions.models import NODE_KINDS
from leadflow.errors import InvalidInput

from .helpers import sms, workflow

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "new-lead-welcome.yaml"


def test_load_yaml_and_json() -> None:
    assert load_text("a: 1\nb: [x, 'y']\n") == {"a": 1, "b": ["x", "y"]}
    assert load_text('{"a": 1, "b": [1e5, true, null]}') == {"a": 1, "b": [100000.0, True, None]}
    assert load_text('{"name": "\\u007f"}') == {"name": "\x7f"}
    assert load_text("{a: 1}") == {"a": 1}  # YAML flow mapping, not JSON
    assert load_text("") is None


def test_yaml_scalars_are_json_like() -> None:
    data = load_text(
        "time: 10:00\nstates: [NO, yes, on, Off]\nzip: 02134\nday: 2024-05-01\n"
        "flags: [true, false, True]\nnums: [12, -3, 1.5, 1e3, 0x1f]\n"
    )
    assert data == {
        "time": "10:00",
        "states": ["NO", "yes", "on", "Off"],
        "zip": "02134",
        "day": "2024-05-01",
        "flags": [True, False, True],
        "nums": [12, -3, 1.5, 1000.0, 31],
    }


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("key: x\nnodes: [1, 2\n", "at line 3, column 1"),
        ("key: x\n  name: y: z\n", "at line 2, column"),
        ("key: x\nkey: y\n", "at line 2, column 1: found duplicate key 'key'"),
        ('{"a": 1, "a": 2}', "at line 1, column 10: found duplicate key 'a'"),
        ("a: *nowhere\n", "at line 1, column 4: found undefined alias"),
    ],
)
def test_yaml_errors_name_file_line_and_column(text: str, where: str) -> None:
    with pytest.raises(InvalidInput) as info:
        load_text(text, filename="flows/welcome.yaml")
    assert info.value.message.startswith("invalid YAML in flows/welcome.yaml ")
    assert where in info.value.message


def test_load_file(tmp_path: Path) -> None:
    path = tmp_path / "wf.yaml"
    path.write_text("key: k\nname: Ké\n", encoding="utf-8")
    assert load_file(path) == {"key": "k", "name": "Ké"}
    assert load_file(str(path)) == {"key": "k", "name": "Ké"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"invalid YAML in .*bad\.yaml at line 2"):
        load_file(bad)
    with pytest.raises(InvalidInput, match="cannot read"):
        load_file(tmp_path / "missing.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_file(binary)


def test_dump_yaml_is_minimal_and_ordered() -> None:
    report = validate(workflow(sms("a", next="b"), sms("b")))
    assert report.definition is not None
    text = dump_yaml(report.definition)
    assert text == (
        "key: test-flow\n"
        "name: Test flow\n"
        "triggers:\n"
        "- type: event\n"
        "  event: lead.created\n"
        "start: a\n"
        "nodes:\n"
        "- id: a\n"
        "  kind: send_sms\n"
        "  next: b\n"
        "  body: Hi {{ contact.first_name }}\n"
        "- id: b\n"
        "  kind: send_sms\n"
        "  body: Hi {{ contact.first_name }}\n"
    )


def test_dump_multiline_and_tricky_strings_round_trip() -> None:
    bodies = ["line 1\nline 2\n", "NO", "10:00", "1e5", "02134", "true", "x\x85y", " lead", "#x"]
    data = workflow(*[sms(f"n{i}", body=b, next=f"n{i + 1}") for i, b in enumerate(bodies)])
    data["nodes"][-1].pop("next")
    defn = validate(data).definition
    assert defn is not None
    text = dump_yaml(defn)
    assert "  body: |\n    line 1\n    line 2\n" in text
    again = validate(load_text(text)).definition
    assert again == defn
    assert [n.body for n in again.nodes] == bodies  # type: ignore[union-attr]


def test_not_conditions_dump_as_not_and_reload() -> None:
    cond = {"not": {"any": [{"field": "contact.state", "op": "in", "value": ["FL", "NO"]}]}}
    data = workflow(sms("a"), triggers=[{"type": "event", "event": "x", "filter": cond}])
    defn = validate(data).definition
    assert defn is not None
    text = dump_yaml(defn)
    assert "filter:\n    not:\n      any:\n" in text
    assert "not_" not in text
    assert json.loads(dump_json(defn))["triggers"][0]["filter"] == cond
    assert validate(load_text(text)).definition == defn


def test_example_dumps_stably() -> None:
    defn = validate(load_file(EXAMPLE)).definition
    assert defn is not None
    text = dump_yaml(defn)
    again = validate(load_text(text)).definition
    assert again == defn
    assert dump_yaml(again) == text
    assert dump_json(again) == dump_json(defn)


def test_json_schema() -> None:
    schema = workflow_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["description"]
    assert next(iter(schema)) == "$schema"
    assert set(schema["required"]) >= {"key", "name", "start", "nodes"}
    defs = schema["$defs"]
    assert "not" in defs["Not"]["properties"]
    kinds = {
        d["properties"]["kind"]["const"] for d in defs.values() if "kind" in d.get("properties", {})
    }
    assert kinds == set(NODE_KINDS)
    json.dumps(schema)  # serialisable
