"""The ``changed`` operator: a contact field compared with its value when the run entered."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.definitions.conditions import (
    ENTERED,
    baseline,
    changed_fields,
    compile_condition,
    condition_problems,
)

from .helpers import errors_of, has, sms, workflow

CONTACT: dict[str, Any] = {
    "id": "c1",
    "stage": "lead",
    "state": "FL",
    "email": None,
    "tags": ["buyer"],
    "fields": {"budget": 400_000},
}


def scope(entered: dict[str, Any] | None, **contact: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"contact": {**CONTACT, **contact}, "event": {}, "steps": {}}
    if entered is not None:
        out[ENTERED] = entered
    return out


def changed(field: str, value: Any = None) -> dict[str, Any]:
    leaf: dict[str, Any] = {"field": field, "op": "changed"}
    if value is not None:
        leaf["value"] = value
    return leaf


def test_baseline_keeps_only_the_named_paths_with_null_for_missing() -> None:
    kept = baseline({"contact.stage", "contact.email", "contact.fields.budget"}, CONTACT)
    assert kept == {
        "contact.email": None,
        "contact.fields.budget": 400_000,
        "contact.stage": "lead",
    }


def test_changed_is_true_only_when_the_value_moved() -> None:
    pred = compile_condition(changed("contact.stage"))
    entered = baseline({"contact.stage"}, CONTACT)
    assert pred(scope(entered)) is False
    assert pred(scope(entered, stage="client")) is True
    assert pred(scope(entered, stage="LEAD")) is False  # same under the eq rules


def test_changed_counts_appearing_and_disappearing_values() -> None:
    pred = compile_condition(changed("contact.email"))
    entered = baseline({"contact.email"}, CONTACT)  # email missing at entry
    assert pred(scope(entered)) is False
    assert pred(scope(entered, email="a@example.com")) is True
    gone = compile_condition(changed("contact.fields.budget"))
    kept = baseline({"contact.fields.budget"}, CONTACT)
    assert gone(scope(kept, fields={})) is True
    assert gone(scope(kept, fields={"budget": 400_000.0})) is False  # 400000 == 400000.0


def test_changed_compares_lists_whole() -> None:
    pred = compile_condition(changed("contact.tags"))
    entered = baseline({"contact.tags"}, CONTACT)
    assert pred(scope(entered, tags=["buyer"])) is False
    assert pred(scope(entered, tags=["buyer", "hot"])) is True


def test_without_a_baseline_changed_is_false() -> None:
    pred = compile_condition(changed("contact.stage"))
    assert pred(scope(None, stage="client")) is False
    assert pred(scope({"contact.state": "FL"}, stage="client")) is False  # other path only


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        ({"from": "lead", "to": "client"}, "client", True),
        ({"from": "lead", "to": "client"}, "nurture", False),
        ({"to": "Client"}, "client", True),
        ({"from": "lead"}, "nurture", True),
        ({"from": "prospect"}, "client", False),
        ({"from": "lead", "to": None}, None, True),  # null: the value went missing
        ({"from": "lead", "to": "lead"}, "lead", False),  # no change, whatever from/to say
    ],
)
def test_from_and_to_require_a_specific_transition(
    value: dict[str, Any], now: Any, expected: bool
) -> None:
    pred = compile_condition(changed("contact.stage", value))
    assert pred(scope(baseline({"contact.stage"}, CONTACT), stage=now)) is expected


def test_changed_fields_lists_only_changed_leaves() -> None:
    cond = {
        "all": [
            changed("contact.stage"),
            {"not": changed("contact.fields.budget", {"to": 1})},
            {"field": "contact.state", "op": "eq", "value": "FL"},
        ]
    }
    assert changed_fields(cond) == {"contact.stage", "contact.fields.budget"}


def test_changed_outside_contact_is_refused_naming_the_field() -> None:
    (problem,) = condition_problems(changed("event.data.stage"), "nodes[0](b).cases[0].when")
    assert problem.startswith("nodes[0](b).cases[0].when.field: 'changed' compares a contact")
    assert "'event.data.stage'" in problem
    (bare,) = condition_problems(changed("contact"), "x")
    assert "contact.<name>" in bare


@pytest.mark.parametrize("value", [True, "client", {}, {"from": "a", "since": "b"}, ["a", "b"]])
def test_changed_value_must_be_from_to(value: Any) -> None:
    (problem,) = condition_problems(changed("contact.stage", value), "w")
    assert problem.startswith("w.value: 'changed' takes no value, or {from: <value>, to: <value>}")


def test_changed_on_an_unknown_contact_field_names_it() -> None:
    (problem,) = condition_problems(changed("contact.stgae"), "w")
    assert "unknown contact field 'stgae'" in problem


def test_workflow_with_changed_in_a_branch_validates() -> None:
    branch = {
        "id": "b",
        "kind": "branch",
        "cases": [{"when": changed("contact.stage", {"to": "client"}), "next": "won"}],
        "default": "nudge",
    }
    assert errors_of(workflow(branch, sms("won"), sms("nudge"))) == []


def test_changed_in_a_trigger_filter_is_refused() -> None:
    trigger = {"type": "event", "event": "lead.updated", "filter": changed("contact.stage")}
    errors = errors_of(workflow(sms("a"), triggers=[trigger]))
    assert has(errors, "triggers[0].filter: 'changed' on 'contact.stage' cannot be used")


def test_a_draft_explains_changed_in_words() -> None:
    from leadflow.ai.explain import explain_node

    when = changed("contact.stage", {"from": "lead", "to": "client"})
    node = {"id": "b", "kind": "branch", "cases": [{"when": when, "next": "w"}]}
    said = explain_node(node)
    assert "contact.stage changed since the run started (from 'lead' to 'client')" in said
