"""validate() on ai_compose nodes: the template is required, e-mail needs a subject and only
e-mail has one, every template is checked, an SMS fallback without opt-out wording is warned
about, and the designer's JSON Schema describes the node."""

from __future__ import annotations

from typing import Any

from leadflow.definitions import validate
from leadflow.definitions.schema import workflow_json_schema

from .helpers import errors_of, has, workflow


def compose(**extra: Any) -> dict[str, Any]:
    node = {
        "id": "c",
        "kind": "ai_compose",
        "brief": "Invite {{ contact.first_name }} to the open house.",
        "body": "Hi {{ contact.first_name }}, open house Sunday? Reply STOP to opt out",
    }
    node.update(extra)
    return {k: v for k, v in node.items() if v is not None}


def test_a_plain_ai_compose_is_valid_without_warnings() -> None:
    report = validate(workflow(compose()))
    assert report.errors == [] and report.warnings == []
    assert report.definition is not None
    node = report.definition.nodes[0]
    assert (node.kind, node.channel, node.max_segments, node.char_limit()) == (
        "ai_compose",
        "sms",
        2,
        480,
    )


def test_the_template_is_required() -> None:
    assert has(errors_of(workflow(compose(body=None))), "nodes[0](c).body: field required")


def test_email_needs_a_subject_and_sms_has_none() -> None:
    errors = errors_of(workflow(compose(channel="email")))
    assert errors == ["nodes[0](c).subject: required when channel is email"]
    errors = errors_of(workflow(compose(subject="Hello")))
    assert errors == ["nodes[0](c).subject: applies only to channel email"]
    assert errors_of(workflow(compose(channel="email", subject="Open house"))) == []


def test_unknown_channel_and_bad_limits_are_named() -> None:
    errors = errors_of(workflow(compose(channel="fax", max_segments=0, max_chars=5)))
    assert has(errors, "nodes[0](c).channel")
    assert has(errors, "nodes[0](c).max_segments")
    assert has(errors, "nodes[0](c).max_chars")


def test_every_template_of_the_node_is_checked() -> None:
    errors = errors_of(workflow(compose(brief="Hi {{ contact.first_name ")))
    assert has(errors, "nodes[0](c).brief")
    errors = errors_of(workflow(compose(channel="email", subject="{% if %}")))
    assert has(errors, "nodes[0](c).subject")


def test_a_fallback_text_without_opt_out_wording_is_warned_about() -> None:
    report = validate(workflow(compose(body="Hi {{ contact.first_name }}, open house Sunday?")))
    assert report.ok
    assert any(
        w.startswith("nodes[0](c).body: the fallback text has no opt-out wording")
        for w in report.warnings
    )
    report = validate(workflow(compose(channel="email", subject="Hi", body="No stop word")))
    assert report.warnings == []


def test_the_designer_schema_describes_the_node() -> None:
    schema = workflow_json_schema()
    node = schema["$defs"]["AiCompose"]
    assert set(node["required"]) >= {"id", "kind", "brief", "body"}
    assert node["properties"]["channel"]["enum"] == ["sms", "email"]
    assert "template" in node["properties"]["body"]["description"].lower()


def test_the_node_is_explained_in_words() -> None:
    from leadflow.ai.explain import explain_node

    said = explain_node(compose(channel="email", subject="Hi", next="w"))
    assert said.startswith("Sends an e-mail the model writes from the brief 'Invite")
    assert said.endswith("the node's template when a check fails or there is no model). Then: w.")
