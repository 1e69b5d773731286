"""The structured and text diff of two workflow definitions."""

from __future__ import annotations

from leadflow.definitions.diff import NodeChange, diff_definitions
from leadflow.definitions.models import WorkflowDefinition

V1 = {
    "key": "welcome",
    "name": "Welcome",
    "start": "hello",
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hi", "next": "pause"},
        {"id": "pause", "kind": "wait", "duration": "1d", "next": "bye"},
        {"id": "bye", "kind": "send_sms", "body": "Bye"},
    ],
}
V2 = {
    "key": "welcome",
    "name": "Welcome back",
    "start": "hello",
    "triggers": [{"type": "event", "event": "lead.created"}],
    "settings": {"pause_on_reply": False},
    "nodes": [
        {"id": "hello", "kind": "send_sms", "body": "Hello", "next": "pause"},
        {"id": "pause", "kind": "wait", "duration": "1d", "next": "later"},
        {"id": "later", "kind": "send_sms", "body": "Later"},
    ],
}


def test_structured_and_text_diff() -> None:
    d = diff_definitions(
        WorkflowDefinition.model_validate(V1), WorkflowDefinition.model_validate(V2), "v1", "v2"
    )
    assert d.nodes_added == ["later"] and d.nodes_removed == ["bye"]
    assert d.nodes_changed == [NodeChange("hello", ["body"]), NodeChange("pause", ["next"])]
    assert d.settings_changed == ["pause_on_reply"] and d.triggers_changed
    assert d.fields_changed == ["name"]
    assert d.text.startswith("--- v1\n+++ v2\n") and "-name: Welcome\n" in d.text
    assert not d.same


def test_a_version_equals_itself() -> None:
    v1 = WorkflowDefinition.model_validate(V1)
    d = diff_definitions(v1, v1)
    assert d.same and d.nodes_changed == [] and not d.triggers_changed
