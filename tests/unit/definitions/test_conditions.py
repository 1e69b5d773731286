from __future__ import annotations

from typing import Any

import pytest

from leadflow.definitions.conditions import (
    compile_condition,
    condition_fields,
    condition_problems,
    evaluate,
)
from leadflow.definitions.conditions_model import All, AnyOf, Compare, Not

SCOPE: dict[str, Any] = {
    "contact": {
        "id": "c1",
        "first_name": "Ann",
        "state": "FL",
        "tags": ["Buyer", "hot", 7],
        "email": None,
        "fields": {"budget": 450_000, "score": 7.5, "zip": "02134", "vip": True},
    },
    "event": {
        "type": "sms.received",
        "data": {
            "text": "Yes, I'm Interested!",
            "at": "2024-05-01T10:00:00Z",
            "items": [{"sku": "a"}, {"sku": "b"}],
            "meta": {"source": "zillow"},
        },
    },
    "context": {"attempts": 2},
    "steps": {"welcome_sms": {"sent": True, "replied": False}},
}


def check(field: str, op: str, value: Any = None) -> bool:
    cond = Compare(field=field, op=op, value=value)  # type: ignore[arg-type]
    return compile_condition(cond)(SCOPE)


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        # eq / ne: strings case-insensitive, numbers numeric, strict types
        ("contact.state", "eq", "fl", True),
        ("contact.state", "eq", "FL", True),
        ("contact.state", "eq", "OK", False),
        ("contact.state", "ne", "ok", True),
        ("contact.state", "ne", "Fl", False),
        ("contact.fields.budget", "eq", 450_000.0, True),
        ("contact.fields.budget", "eq", "450000", False),
        ("contact.fields.zip", "eq", 2134, False),
        ("contact.fields.vip", "eq", True, True),
        ("contact.fields.vip", "eq", 1, False),
        ("context.attempts", "eq", True, False),
        ("steps.welcome_sms.replied", "eq", False, True),
        ("event.data.items", "eq", [{"sku": "a"}, {"sku": "b"}], True),
        # missing fields and None
        ("contact.last_name", "eq", "x", False),
        ("contact.last_name", "ne", "x", True),
        ("contact.email", "eq", "x", False),
        ("contact.email", "ne", "x", True),
        ("contact.email", "eq", None, True),
        ("contact.first_name", "eq", None, False),
        ("contact.first_name", "ne", None, True),
        ("contact.state.deeper", "eq", "x", False),
        # ordering
        ("contact.fields.budget", "gt", 400_000, True),
        ("contact.fields.budget", "gt", 450_000, False),
        ("contact.fields.budget", "gte", 450_000, True),
        ("contact.fields.budget", "lt", 450_000.5, True),
        ("contact.fields.budget", "lte", 449_999, False),
        ("contact.fields.score", "gte", 7, True),
        ("event.data.at", "gt", "2024-04-30", True),
        ("event.data.at", "lt", "2024-05-01T09:00:00Z", False),
        ("event.data.at", "lte", "2024-05-01T10:00:00Z", True),
        ("contact.fields.zip", "gt", 100, False),  # string vs number: mismatch
        ("contact.fields.budget", "gt", "100", False),  # number vs string: mismatch
        ("contact.fields.vip", "gt", 0, False),  # booleans are not numbers
        ("contact.tags", "gt", 1, False),
        ("contact.last_name", "gt", 1, False),
        ("contact.fields.budget", "gt", None, False),
        ("contact.fields.budget", "gt", [1], False),
        # in
        ("contact.state", "in", ["ok", "fl"], True),
        ("contact.state", "in", ["OK", "TX"], False),
        ("contact.fields.budget", "in", [1, 450_000], True),
        ("contact.fields.vip", "in", [1], False),
        ("contact.fields.vip", "in", [True], True),
        ("contact.last_name", "in", ["a"], False),
        ("contact.state", "in", "FL", True),  # a lone value is a one-item list
        ("contact.state", "in", [], False),
        ("event.data.meta", "in", [{"source": "zillow"}], True),
        # contains
        ("contact.tags", "contains", "buyer", True),
        ("contact.tags", "contains", "seller", False),
        ("contact.tags", "contains", 7, True),
        ("contact.tags", "contains", "7", False),
        ("event.data.text", "contains", "interested", True),
        ("event.data.text", "contains", "STOP", False),
        ("event.data.text", "contains", 5, False),
        ("event.data.meta", "contains", "source", True),
        ("event.data.meta", "contains", ["unhashable"], False),
        ("contact.fields.budget", "contains", 4, False),
        ("contact.last_name", "contains", "a", False),
        # exists
        ("contact.first_name", "exists", None, True),
        ("contact.first_name", "exists", True, True),
        ("contact.first_name", "exists", False, False),
        ("contact.email", "exists", True, False),
        ("contact.email", "exists", False, True),
        ("contact.nothing", "exists", None, False),
        ("event.data.items.1.sku", "exists", True, True),
        ("event.data.items.5.sku", "exists", True, False),
        # between
        ("contact.fields.budget", "between", [400_000, 500_000], True),
        ("contact.fields.budget", "between", [450_000, 450_000], True),
        ("contact.fields.budget", "between", [1, 10], False),
        ("event.data.at", "between", ["2024-05-01", "2024-05-02"], True),
        ("contact.fields.budget", "between", ["a", "z"], False),
        ("contact.fields.budget", "between", [1], False),
        ("contact.fields.budget", "between", 5, False),
        ("contact.fields.budget", "between", [1, "z"], False),
        ("contact.last_name", "between", [1, 2], False),
        # list indexes and paths through non-containers
        ("event.data.items.0.sku", "eq", "A", True),
        ("event.data.items.x", "exists", True, False),
        ("event.type.x", "exists", True, False),
        ("nowhere.at.all", "exists", True, False),
    ],
)
def test_operators(field: str, op: str, value: Any, expected: bool) -> None:
    assert check(field, op, value) is expected


def test_combinators() -> None:
    yes = {"field": "contact.state", "op": "eq", "value": "fl"}
    no = {"field": "contact.state", "op": "eq", "value": "tx"}
    assert evaluate({"all": [yes, yes]}, SCOPE) is True
    assert evaluate({"all": [yes, no]}, SCOPE) is False
    assert evaluate({"any": [no, yes]}, SCOPE) is True
    assert evaluate({"any": [no, no]}, SCOPE) is False
    assert evaluate({"not": no}, SCOPE) is True
    assert evaluate({"all": []}, SCOPE) is True
    assert evaluate({"any": []}, SCOPE) is False
    assert evaluate({"all": [yes]}, SCOPE) is True
    nested = {"all": [{"any": [no, {"not": {"not": yes}}]}, {"not": {"all": [no]}}]}
    assert evaluate(nested, SCOPE) is True


def test_accepts_models() -> None:
    cond = All(all=[AnyOf(any=[Compare(field="contact.state", op="eq", value="FL")])])
    assert compile_condition(cond)(SCOPE) is True
    assert compile_condition(Not(not_=cond))(SCOPE) is False


def test_never_raises_on_odd_scopes() -> None:
    predicate = compile_condition({"field": "contact.fields.budget", "op": "gt", "value": 3})
    for scope in ({}, {"contact": None}, {"contact": []}, {"contact": {"fields": "x"}}):
        assert predicate(scope) is False


def test_compiled_once_and_reused() -> None:
    predicate = compile_condition({"field": "context.attempts", "op": "lt", "value": 3})
    assert [predicate({"context": {"attempts": n}}) for n in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_condition_fields() -> None:
    cond = {
        "all": [
            {"field": "contact.state", "op": "eq", "value": "FL"},
            {"not": {"field": "steps.welcome.replied", "op": "eq", "value": True}},
            {"any": [{"field": "contact.state", "op": "exists"}]},
        ]
    }
    assert condition_fields(cond) == {"contact.state", "steps.welcome.replied"}


@pytest.mark.parametrize(
    ("cond", "problem"),
    [
        ({"field": "lead.state", "op": "eq", "value": 1}, "p.field: field 'lead.state' must start"),
        ({"field": "contact.frist_name", "op": "exists"}, "p.field: unknown contact field"),
        ({"field": "x", "op": "between", "value": [1, 2, 3]}, "p.value: 'between' needs a list"),
        ({"field": "context.x", "op": "between", "value": 5}, "p.value: 'between' needs a list"),
        ({"field": "context.x", "op": "between", "value": [1, "a"]}, "two numbers or two"),
        ({"field": "context.x", "op": "in", "value": "FL"}, "p.value: 'in' needs a list"),
        ({"field": "context.x", "op": "gt", "value": None}, "p.value: 'gt' needs a number"),
        ({"field": "context.x", "op": "lte", "value": [1]}, "p.value: 'lte' needs a number"),
        ({"field": "context.x", "op": "exists", "value": "yes"}, "p.value: 'exists' takes true"),
        (
            {"any": [{"field": "context.x", "op": "eq"}, {"not": {"field": "y", "op": "exists"}}]},
            "p.any[1].not.field: field 'y' must start",
        ),
    ],
)
def test_condition_problems(cond: dict[str, Any], problem: str) -> None:
    problems = condition_problems(cond, "p")
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    "cond",
    [
        {"field": "contact.fields.anything.at_all", "op": "eq", "value": "x"},
        {"field": "contact.tags", "op": "contains", "value": "hot"},
        {"field": "event.data.at", "op": "between", "value": ["2024-01-01", "2024-12-31"]},
        {"field": "steps.a.sent", "op": "exists", "value": False},
        {"field": "context.n", "op": "gte", "value": 2.5},
        {"field": "contact", "op": "exists"},
    ],
)
def test_condition_without_problems(cond: dict[str, Any]) -> None:
    assert condition_problems(cond, "p") == []
