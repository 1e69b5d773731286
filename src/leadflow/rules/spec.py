"""A rule as the API and the CLI send it, and its checks: every problem names its field
(``filter.all[0].field: ...``, ``actions[2].workflow: ...``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from leadflow.definitions.conditions import condition_fields, condition_problems
from leadflow.definitions.conditions_model import Condition
from leadflow.engine.plugins import Registry
from leadflow.model.automation import RuleSpec
from leadflow.model.vocabulary import canonical

EVENT_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$"
FILTER_ROOTS = ("event", "contact")
_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


class RuleBody(BaseModel):
    """``event``: an event type, ``prefix.*`` or ``*``; ``filter``: a condition of the workflow
    language over ``event.*`` and ``contact.*``; ``priority``: higher first; ``stop``: when this
    rule fires, lower-priority rules are not evaluated for the event."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    event: str = Field(min_length=1, max_length=100, pattern=EVENT_PATTERN)
    filter: dict[str, Any] | None = None
    actions: list[dict[str, Any]] = Field(min_length=1, max_length=20)
    priority: int = Field(0, ge=-1000, le=1000)
    stop: bool = False
    enabled: bool = True


def _filter_problems(cond: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        parsed = _CONDITION.validate_python(cond)
    except ValidationError as exc:
        return [
            (
                "filter"
                + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"][1:]),
                e["msg"],
            )
            for e in exc.errors()[:10]
        ]
    out = [
        (where, problem)
        for where, _, problem in (p.partition(": ") for p in condition_problems(parsed, "filter"))
    ]
    for path in sorted(condition_fields(parsed)):
        if path.split(".")[0] not in FILTER_ROOTS:
            out.append(("filter", f"field {path!r}: a rule's filter reads event.* and contact.*"))
    return out


def rule_problems(body: RuleBody, registry: Registry, tenant_id: str) -> list[tuple[str, str]]:
    """Every problem of ``body`` as (field, problem); empty: it may be saved."""
    out: list[tuple[str, str]] = []
    if body.filter is not None:
        out += _filter_problems(body.filter)
    kinds = registry.rule_action_kinds()
    for i, action in enumerate(body.actions):
        kind = action.get("kind")
        handler = registry.rule_action(kind) if isinstance(kind, str) else None
        if handler is None:
            out.append(
                (f"actions[{i}].kind", f"{kind!r} is not an action; known: {', '.join(kinds)}")
            )
            continue
        out += [(f"actions[{i}].{f}", p) for f, p in handler.problems(action, tenant_id)]
    return out


def to_spec(body: RuleBody) -> RuleSpec:
    event = body.event if body.event.endswith("*") else canonical(body.event)
    return RuleSpec(body.name, event, body.actions, body.filter, body.priority, body.stop)


def body_of(spec: RuleSpec, enabled: bool = True) -> RuleBody:
    return RuleBody(
        name=spec.name,
        event=spec.event,
        filter=spec.filter,
        actions=spec.actions,
        priority=spec.priority,
        stop=spec.stop,
        enabled=enabled,
    )


__all__ = ["RuleBody", "body_of", "rule_problems", "to_spec"]
