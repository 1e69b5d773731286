"""A published workflow version, prepared once for the hot path.

Conditions are compiled to closures, durations parsed to seconds, nodes indexed by id. Nothing
here is rebuilt per step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadflow.definitions.conditions import changed_fields, compile_condition, condition_fields
from leadflow.definitions.durations import parse_duration
from leadflow.definitions.models import (
    Branch,
    Node,
    Parallel,
    Wait,
    WaitForEvent,
    WorkflowDefinition,
)
from leadflow.model.records import DEFAULT_TENANT, WorkflowVersion

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(slots=True)
class CompiledGoal:
    name: str
    event: str | None
    when: Predicate | None


@dataclass(slots=True)
class CompiledWorkflow:
    key: str
    version: int
    name: str
    definition: WorkflowDefinition
    nodes: dict[str, Node]
    durations: dict[str, float] = field(default_factory=dict)  # wait.duration / timeouts
    case_predicates: dict[str, list[Predicate]] = field(default_factory=dict)
    match_predicates: dict[str, Predicate] = field(default_factory=dict)
    trigger_filters: dict[int, Predicate] = field(default_factory=dict)
    goals: list[CompiledGoal] = field(default_factory=list)
    needs_steps: bool = False
    tenant_id: str = DEFAULT_TENANT  # whose contacts it may enroll
    # The contact paths ``changed`` leaves read: their values are kept when a run enters.
    changed_paths: frozenset[str] = frozenset()

    @property
    def start(self) -> str:
        return self.definition.start

    @property
    def condition_goals(self) -> list[CompiledGoal]:
        return [g for g in self.goals if g.event is None and g.when is not None]

    def goals_for_event(self, event_type: str) -> list[CompiledGoal]:
        return [g for g in self.goals if g.event == event_type]


def compile_workflow(version: WorkflowVersion) -> CompiledWorkflow:
    definition = WorkflowDefinition.model_validate(version.definition)
    wf = compile_definition(definition, version.version)
    wf.tenant_id = version.tenant_id
    return wf


def compile_definition(definition: WorkflowDefinition, version: int) -> CompiledWorkflow:
    wf = CompiledWorkflow(
        key=definition.key,
        version=version,
        name=definition.name,
        definition=definition,
        nodes={n.id: n for n in definition.nodes},
    )
    fields: set[str] = set()
    changed: set[str] = set()
    for node in definition.nodes:
        if isinstance(node, Wait):
            wf.durations[node.id] = parse_duration(node.duration)
        elif isinstance(node, WaitForEvent):
            if node.timeout:
                wf.durations[node.id] = parse_duration(node.timeout)
            if node.match is not None:
                wf.match_predicates[node.id] = compile_condition(node.match)
                fields |= condition_fields(node.match)
                changed |= changed_fields(node.match)
        elif isinstance(node, Parallel):
            if node.timeout:
                wf.durations[node.id] = parse_duration(node.timeout)
        elif isinstance(node, Branch):
            wf.case_predicates[node.id] = [compile_condition(c.when) for c in node.cases]
            for case in node.cases:
                fields |= condition_fields(case.when)
                changed |= changed_fields(case.when)
        for source in _template_sources(node):
            if "steps" in source:
                wf.needs_steps = True
    for i, trigger in enumerate(definition.triggers):
        if trigger.filter is not None:
            wf.trigger_filters[i] = compile_condition(trigger.filter)
    for goal in definition.settings.goals:
        when = compile_condition(goal.when) if goal.when is not None else None
        if goal.when is not None:
            fields |= condition_fields(goal.when)
            changed |= changed_fields(goal.when)
        wf.goals.append(CompiledGoal(goal.name, goal.event, when))
    if any(f.startswith("steps.") for f in fields):
        wf.needs_steps = True
    wf.changed_paths = frozenset(changed)
    return wf


def _template_sources(node: Node) -> list[str]:
    out = []
    for name in ("body", "subject", "html", "say", "url"):
        value = getattr(node, name, None)
        if isinstance(value, str):
            out.append(value)
    return out
