"""A template's attributes of the workflow, run and agent it can reach, and the steps it names,
are checked when the workflow is validated, not at the first run."""

from __future__ import annotations

from typing import Any

from leadflow.definitions.validation import validate


def workflow_with(body: str) -> dict[str, Any]:
    return {
        "key": "k",
        "name": "n",
        "start": "a",
        "nodes": [
            {"id": "a", "kind": "send_sms", "body": body, "next": "b"},
            {"id": "b", "kind": "wait", "duration": "1d"},
        ],
    }


def test_a_misspelt_attribute_of_agent_workflow_or_run_is_an_error() -> None:
    errors = validate(workflow_with("{{ agent.nmae }} {{ workflow.nmae }} {{ run.idd }}")).errors
    assert errors == [
        "nodes[0](a).body: unknown agent attribute 'nmae' at line 1; known: id",
        "nodes[0](a).body: unknown workflow attribute 'nmae' at line 1; known: key, name, version",
        "nodes[0](a).body: unknown run attribute 'idd' at line 1; known: created_at, id",
    ]


def test_steps_must_name_a_node_of_the_workflow() -> None:
    (error,) = validate(workflow_with("{{ steps.b.opened }} {{ steps['zz'].opened }}")).errors
    assert (
        error == "nodes[0](a).body: steps.zz at line 1 names no node of this workflow; nodes: a, b"
    )


def test_the_known_attributes_pass() -> None:
    body = "{{ agent.id }} {{ workflow.key }} {{ workflow.version }} {{ run.id }} {{ steps.a }}"
    assert validate(workflow_with(body)).errors == []
