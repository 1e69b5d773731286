"""validate(): the Report, shape errors and graph errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leadflow.definitions import load_file, validate
from leadflow.definitions.models import WorkflowDefinition

from .helpers import errors_of, has, sms, wait, workflow

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "new-lead-welcome.yaml"


def test_valid_definition() -> None:
    report = validate(workflow(sms("a", next="w"), wait("w", next="b"), sms("b")))
    assert report.ok and report.errors == [] and report.warnings == []
    assert isinstance(report.definition, WorkflowDefinition)
    assert [n.id for n in report.definition.nodes] == ["a", "w", "b"]


def test_example_file_validates_clean() -> None:
    report = validate(load_file(EXAMPLE))
    assert report.errors == []
    assert report.warnings == []
    assert report.definition is not None
    assert report.definition.key == "new-lead-welcome"
    assert report.definition.start == "welcome_sms"
    assert [n.kind for n in report.definition.nodes] == [
        "send_sms",
        "wait",
        "send_email",
        "wait_until",
        "send_sms",
    ]
    assert report.definition.nodes[-1].next is None


# ---------------------------------------------------------------- shape


@pytest.mark.parametrize("data", [None, [], "text", 5, 2.5, True, b"x", object()])
def test_not_a_mapping(data: Any) -> None:
    assert errors_of(data)[0].startswith("(root): expected a mapping")


def test_missing_top_level_fields() -> None:
    errors = errors_of({})
    for name in ("key", "name", "start", "nodes"):
        assert f"{name}: field required" in errors


def test_unknown_top_level_field() -> None:
    errors = errors_of(workflow(nmae="x"))
    assert "(root): unknown field 'nmae' (did you mean 'name'?)" in errors


def test_bad_key() -> None:
    assert has(errors_of(workflow(key="Bad Key")), "key: invalid key 'Bad Key'")


def test_unknown_node_kind() -> None:
    data = workflow(sms("a", next="b"), sms("b", next="c"), sms("c", next="d"))
    data["nodes"].append({"id": "d", "kind": "send_fax"})
    errors = errors_of(data)
    assert has(errors, "nodes[3](d).kind: unknown node kind 'send_fax'; expected one of send_sms")
    assert not has(errors, "nodes[2](c).next")  # the unknown node still counts as a target


def test_node_without_id_or_kind() -> None:
    data = workflow(sms("a"))
    data["nodes"].append({"body": "x"})
    errors = errors_of(data)
    assert has(errors, "nodes[1].kind: field required")
    assert "nodes[1].id: field required" in errors


def test_node_not_a_mapping() -> None:
    data = workflow(sms("a"))
    data["nodes"].append("send_sms")
    assert has(errors_of(data), "nodes[1]: expected a mapping with id and kind")


def test_node_missing_field() -> None:
    data = workflow({"id": "a", "kind": "send_sms"})
    assert "nodes[0](a).body: field required" in errors_of(data)


def test_node_unknown_field() -> None:
    errors = errors_of(workflow(sms("a", nxt="b")))
    assert "nodes[0](a): unknown field 'nxt' (did you mean 'next'?)" in errors


def test_node_wrong_types() -> None:
    data = workflow(
        sms("a", next="b", media_urls="x"),
        {"id": "b", "kind": "wait_until", "time": "25:00", "offset_days": -1},
    )
    errors = errors_of(data)
    assert "nodes[0](a).media_urls: expected a list, got a string ('x')" in errors
    assert has(errors, "nodes[1](b).time: expected a time as HH:MM")
    assert "nodes[1](b).offset_days: must be at least 0" in errors


def test_empty_nodes() -> None:
    assert "nodes: at least one node is required" in errors_of(workflow(nodes=[]))
    assert has(errors_of(workflow(nodes={})), "nodes: expected a list of nodes")


def test_bad_condition_shape_reported_once() -> None:
    case = {"when": {"all": [{"field": "contact.state", "op": "like"}, 5]}, "next": "b"}
    data = workflow({"id": "a", "kind": "branch", "cases": [case]}, sms("b"))
    errors = errors_of(data)
    assert errors == [
        "nodes[0](a).cases[0].when.all[0].op: invalid value 'like'; expected one of 'eq', 'ne', "
        "'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists', 'between' or 'changed'",
        "nodes[0](a).cases[0].when.all[1]: expected a condition ({field, op, value} or "
        "all / any / not), got a number (5)",
    ]


# ---------------------------------------------------------------- graph


def test_duplicate_ids() -> None:
    errors = errors_of(workflow(sms("a", next="b"), sms("b"), sms("b")))
    assert "nodes[2](b).id: duplicate node id 'b' (also nodes[1](b))" in errors


def test_start_missing() -> None:
    errors = errors_of(workflow(sms("welcome"), start="welcom"))
    assert "start: start node 'welcom' does not exist (did you mean 'welcome'?)" in errors


def test_edge_to_missing_node() -> None:
    errors = errors_of(workflow(sms("welcome", next="emial"), sms("email")))
    assert "nodes[0](welcome).next: edge to missing node 'emial' (did you mean 'email'?)" in errors


def test_edges_in_cases_arms_and_timeouts() -> None:
    data = workflow(
        {
            "id": "b",
            "kind": "branch",
            "cases": [{"when": {"field": "contact.state", "op": "exists"}, "next": "x1"}],
            "default": "x2",
        },
        {"id": "s", "kind": "split", "arms": [{"name": "A", "weight": 1, "next": "x3"}]},
        {"id": "w", "kind": "wait_for_event", "event": "e", "timeout": "1d", "on_timeout": "x4"},
        sms("m", on_error="x5"),
    )
    errors = errors_of(data)
    for path, target in [
        ("nodes[0](b).cases[0].next", "x1"),
        ("nodes[0](b).default", "x2"),
        ("nodes[1](s).arms[0].next", "x3"),
        ("nodes[2](w).on_timeout", "x4"),
        ("nodes[3](m).on_error", "x5"),
    ]:
        assert f"{path}: edge to missing node {target!r}" in errors


def test_unreachable_node() -> None:
    errors = errors_of(workflow(sms("a", next="b"), sms("b"), sms("orphan")))
    assert errors == ["nodes[2](orphan): not reachable from start 'a'"]


def test_reachable_through_a_node_with_errors() -> None:
    data = workflow(sms("a", next="b"), {"id": "b", "kind": "send_sms", "next": "c"}, sms("c"))
    assert errors_of(data) == ["nodes[1](b).body: field required"]


def test_cycle_without_wait() -> None:
    data = workflow(
        sms("a", next="b"),
        sms("b", next="c"),
        {
            "id": "c",
            "kind": "branch",
            "cases": [{"when": {"field": "context.n", "op": "lt", "value": 3}, "next": "a"}],
        },
    )
    errors = errors_of(data)
    assert has(errors, "nodes[0](a): cycle with no wait node: a -> b -> c -> a")


def test_self_loop_without_wait() -> None:
    assert has(errors_of(workflow(sms("a", next="a"))), "nodes[0](a): cycle with no wait node")


def test_cycle_with_a_wait_is_fine() -> None:
    data = workflow(sms("a", next="w"), wait("w", next="a"))
    assert errors_of(data) == []


def test_cycle_bypassing_its_wait_is_reported() -> None:
    branch = {
        "id": "b",
        "kind": "branch",
        "cases": [{"when": {"field": "context.n", "op": "exists"}, "next": "w"}],
        "default": "a",
    }
    data = workflow(sms("a", next="b"), branch, wait("w", next="a"))
    assert has(errors_of(data), "nodes[0](a): cycle with no wait node: a -> b -> a")
