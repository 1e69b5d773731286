"""A Mermaid flowchart of a workflow definition (for the docs and ``templates show
--mermaid``): one box per node with what it does, one arrow per edge labelled with its kind
(``on_timeout``, a branch case ...), the triggers and goals on top."""

from __future__ import annotations

import re
from typing import Any

from leadflow.definitions.models import WorkflowDefinition, edges_of

_SAFE = re.compile(r"[^A-Za-z0-9_]")


def _id(node_id: str) -> str:
    return "n_" + _SAFE.sub("_", node_id)


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def _text(value: str, limit: int = 48) -> str:
    value = " ".join(_JINJA.sub("…", value).split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value.replace('"', "#quot;").replace("{", "#123;").replace("}", "#125;")


def _what(node: Any) -> str:
    kind = node.kind
    if kind == "send_sms":
        return "text: " + _text(node.body, 36)
    if kind == "send_email":
        return "e-mail: " + _text(node.subject, 36)
    if kind == "voice_call":
        return f"call ({node.mode})"
    if kind == "wait":
        return f"wait {node.duration}"
    if kind == "wait_until":
        if node.field:
            sign = "+" if node.offset >= 0 else "-"
            when = f"{node.field} {sign} {abs(node.offset)}d"
            return f"until {when} {node.time}" + (" yearly" if node.repeat == "yearly" else "")
        if node.month_day:
            return f"until first weekday of the month {node.time}"
        return f"until {node.time}" + (f" +{node.offset_days}d" if node.offset_days else "")
    if kind == "wait_for_event":
        return f"wait for {node.event} ({node.timeout})"
    if kind == "notify_agent":
        return f"task for {node.to.replace('_', ' ')}: " + _text(node.title, 30)
    if kind == "assign_owner":
        return f"assign owner: {node.rule.replace('_', ' ')}"
    if kind == "start_workflow":
        return f"start {node.workflow}"
    if kind == "match_properties":
        return f"match listings (score >= {node.min_score:g})"
    if kind == "goal":
        return f"goal {node.goal}"
    if kind == "exit":
        return f"exit ({node.reason})"
    return str(kind).replace("_", " ")


def _case(when: Any) -> str:
    data = when.model_dump(by_alias=True, exclude_none=True)
    if "field" in data:
        return _text(f"{data['field']} {data['op']} {data.get('value', '')}".strip(), 40)
    return "case"


def mermaid(definition: WorkflowDefinition) -> str:
    lines = ["flowchart TD"]
    starts = []
    for t in definition.triggers:
        if t.type == "event":
            starts.append(f"on {t.event}")
        elif t.type == "schedule":
            starts.append(f"schedule {t.cron} {t.timezone}")
        else:
            starts.append("manual")
    lines.append(f'    start(["{_text(" / ".join(starts) or "manual", 60)}"])')
    for node in definition.nodes:
        label = f"{node.id}<br/>{_what(node)}"
        shape = ('{"', '"}') if node.kind == "branch" else ('["', '"]')
        lines.append(f"    {_id(node.id)}{shape[0]}{label}{shape[1]}")
    lines.append(f"    start --> {_id(definition.start)}")
    for node in definition.nodes:
        cases = getattr(node, "cases", None) or []
        for path, target in edges_of(node):
            if path == "next":
                label = ""
            elif path.startswith("cases["):
                label = _case(cases[int(path[6 : path.index("]")])].when)
            else:
                label = path
            arrow = f" -->|{label}| " if label else " --> "
            lines.append(f"    {_id(node.id)}{arrow}{_id(target)}")
    goals = sorted({g.name for g in definition.settings.goals})
    if goals:
        lines.append(f'    goals[/"exits on: {_text(", ".join(goals), 60)}"/]')
    return "\n".join(lines) + "\n"


__all__ = ["mermaid"]
