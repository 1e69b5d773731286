"""The send_whatsapp node: free-form body or an approved template, each checked with its path."""

from __future__ import annotations

from typing import Any

from .helpers import errors_of, workflow

SID = "HX" + "a" * 32


def wa(**fields: Any) -> dict[str, Any]:
    return {"id": "wa", "kind": "send_whatsapp", **fields}


def test_a_body_or_a_template_is_valid() -> None:
    assert errors_of(workflow(wa(body="Hi {{ contact.first_name }}"))) == []
    template = {"content_sid": SID, "variables": {"1": "{{ contact.first_name }}"}}
    assert errors_of(workflow(wa(template=template))) == []


def test_neither_or_both_is_refused() -> None:
    for fields in ({}, {"body": "Hi", "template": {"content_sid": SID}}):
        (error,) = errors_of(workflow(wa(**fields)))
        assert error.startswith("nodes[0](wa)")
        assert (
            error == "nodes[0](wa): give either body (free-form) or template, not both nor neither"
        )


def test_a_content_sid_must_look_like_one() -> None:
    (error,) = errors_of(workflow(wa(template={"content_sid": "HX123"})))
    assert error.startswith("nodes[0](wa).template.content_sid:")


def test_template_variables_are_checked_as_templates_with_their_path() -> None:
    template = {"content_sid": SID, "variables": {"1": "{{ contact.first_name "}}
    errors = errors_of(workflow(wa(template=template)))
    assert errors == [
        "nodes[0](wa).template.variables['1']: template syntax error at line 1: unexpected end "
        "of template, expected 'end of print statement'."
    ]


def test_media_go_with_a_body_only() -> None:
    template = {"content_sid": SID}
    (error,) = errors_of(workflow(wa(template=template, media_urls=["https://x.example/a.jpg"])))
    assert error.startswith("nodes[0](wa).media_urls: media go with a free-form body")
