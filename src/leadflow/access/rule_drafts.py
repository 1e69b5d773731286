"""A rule from a sentence: the model's answer when a model is configured (checked; a rule that
fails the checks falls back to the offline parse), else the offline parse of the planner. The
draft is checked like any rule; saved (disabled, so nothing fires before someone enables it)
only on request and only when it passes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from leadflow.access.automation import client_for
from leadflow.access.automation_rules import checked_spec
from leadflow.access.scope import ADMIN, require_role
from leadflow.ai.client import LlmError
from leadflow.ai.rule_draft import RULE_SCHEMA, rule_messages
from leadflow.ai.rule_draft import draft_rule as parse_rule
from leadflow.errors import InvalidInput
from leadflow.rules.spec import RuleBody
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


def _check(rt: Runtime, tenant: str, rule: dict[str, Any]) -> list[dict[str, str]]:
    try:
        checked_spec(rt, tenant, RuleBody.model_validate({**rule, "enabled": False}))
    except ValidationError as exc:
        return [
            {"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
    except InvalidInput as exc:
        return [{"field": f, "problem": p} for f, p in exc.problems]
    return []


def draft_rule(rt: Runtime, principal: Principal, text: str, save: bool = False) -> dict[str, Any]:
    tenant = require_role(principal, ADMIN, "drafting rules")
    offline = parse_rule(text)
    rule, source, notes = offline.rule, "planner", list(offline.notes)
    client = client_for(rt)
    if client is not None:
        try:
            answer = client.complete_json(
                tenant,
                "rule_draft",
                rule_messages(text, rt.engine.registry.rule_action_kinds()),
                RULE_SCHEMA,
            )
        except LlmError as exc:
            notes.append(f"the model could not answer ({exc.kind}); the planner's parse is used")
        else:
            if isinstance(answer.data, dict) and not _check(rt, tenant, answer.data):
                rule, source, notes = answer.data, "model", []
            else:
                notes.append("the model's rule did not pass the checks; the planner's is used")
    problems = _check(rt, tenant, rule)
    out: dict[str, Any] = {
        "rule": rule,
        "source": source,
        "valid": not problems,
        "problems": problems,
        "understood": offline.understood if source == "planner" else [],
        "notes": notes,
        "saved": None,
    }
    if save:
        if problems:
            lines = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
            raise InvalidInput(
                f"the drafted rule is invalid: {lines}",
                [(p["field"], p["problem"]) for p in problems],
            )
        spec = checked_spec(rt, tenant, RuleBody.model_validate({**rule, "enabled": False}))
        saved = rt.store.create_rule(tenant, spec, False, rt.clock.now())
        out["saved"] = {"id": saved.id, "version": saved.version, "enabled": saved.enabled}
    return out


__all__ = ["draft_rule"]
