"""The offline planner: plain English -> a validated workflow definition, no model involved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.ai.build import build
from leadflow.ai.parse import parse
from leadflow.ai.plan import Plan
from leadflow.definitions.validation import Report, validate


@dataclass
class PlannerDraft:
    plan: Plan
    definition: dict[str, Any]
    report: Report


def plan_workflow(prompt: str, key: str | None = None) -> PlannerDraft:
    """Parse ``prompt``, build a definition and validate it (``report.ok`` says if it is valid)."""
    plan = parse(prompt)
    definition = build(plan, key)
    return PlannerDraft(plan, definition, validate(definition))
