"""The rules' evaluation: the guards checked before a filter never change its answer, rules are
taken by priority then id with ``prefix.*`` and ``*`` merged in, and ``stop`` keeps lower rules
off an event."""

from __future__ import annotations

import itertools
from typing import Any

from leadflow.definitions.conditions import compile_condition
from leadflow.model.automation import Rule, RuleSpec
from leadflow.rules.evaluate import RuleSet

VALUES: list[Any] = ["Zillow", "zillow", "ZILLOW", "web", "", None, 3, True, ["zillow"], {"a": 1}]
FILTERS: list[dict[str, Any]] = [
    {"field": "event.data.source", "op": "eq", "value": "zillow"},
    {
        "all": [
            {"field": "event.data.source", "op": "eq", "value": "ZilLow"},
            {"field": "contact.state", "op": "eq", "value": "TX"},
        ]
    },
    {"any": [{"field": "event.data.source", "op": "eq", "value": "zillow"}]},
    {"not": {"field": "event.data.source", "op": "eq", "value": "zillow"}},
    {"field": "event.data.source", "op": "eq", "value": 3},
]


def _rule(i: int, event: str, priority: int = 0, stop: bool = False, **kw: Any) -> Rule:
    return Rule(
        i, "acme", 1, RuleSpec(f"r{i}", event, [], priority=priority, stop=stop, **kw), True, 0, 0
    )


def test_guards_agree_with_the_filter_on_every_value() -> None:
    for i, flt in enumerate(FILTERS):
        (compiled,) = RuleSet([_rule(1, "lead.created", filter=flt)]).for_event(
            "acme", "lead.created"
        )
        predicate = compile_condition(flt)
        for value, state in itertools.product(VALUES, ("TX", "tx", None)):
            data = {} if value is None else {"source": value}
            scope = {"event": {"type": "lead.created", "data": data}, "contact": {"state": state}}
            assert compiled.passes(scope) == predicate(scope), (i, value, state)


def test_rules_by_priority_then_id_with_wildcards_merged() -> None:
    rules = RuleSet(
        [
            _rule(1, "lead.created", priority=1),
            _rule(2, "lead.*", priority=5),
            _rule(3, "*", priority=1),
            _rule(4, "lead.updated", priority=9),
            _rule(5, "sms.*", priority=9),
        ]
    )
    assert [c.rule.id for c in rules.for_event("acme", "lead.created")] == [2, 1, 3]
    assert [c.rule.id for c in rules.for_event("acme", "sms.received")] == [5, 3]
    assert rules.for_event("beta", "lead.created") == []
