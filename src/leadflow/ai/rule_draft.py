"""A sentence to an automation rule, offline: the planner's trigger and audience parsing
(:mod:`leadflow.ai.parse_trigger`) for the event and the filter, and the phrases of rule
actions here ("tag them hot", "set stage to nurture", "assign to a17", "notify the owner",
"enroll in welcome workflow", "post to https://...", "emit deal.flagged"). The result is a
rule's JSON, not yet checked: the caller checks it like any rule before saving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from leadflow.ai.parse_trigger import audience_of, trigger_of
from leadflow.ai.plan import Plan

_WORD = r"['\"]?([A-Za-z0-9][\w-]*)['\"]?"
_EVENTS = (
    (r"\b(repl(y|ies|ied)|texts? back|responds?)\b", "sms.received"),
    (r"\b(opens?|opened) (an? |the )?e-?mail\b", "email.opened"),
    (r"\bclicks?\b", "email.clicked"),
    (r"\b(saves?|saved) (a |the )?(home|property|listing)\b", "property.saved"),
    (r"\b(views?|viewed) (a |the )?(home|property|listing)\b", "property.viewed"),
    (r"\b(task|tasks) (is |are )?overdue\b", "task.overdue"),
)
RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "event", "filter", "actions", "priority"],
    "properties": {
        "name": {"type": "string"},
        "event": {"type": "string"},
        "filter": {"type": ["object", "null"]},
        "actions": {"type": "array", "items": {"type": "object"}},
        "priority": {"type": "integer"},
    },
}


@dataclass
class RuleDraft:
    rule: dict[str, Any]
    understood: list[str] = field(default_factory=list)  # what was recognised in the words
    notes: list[str] = field(default_factory=list)


def _event(text: str, plan: Plan) -> str | None:
    literal = re.search(r"\bwhen(?:ever)? (?:an? )?([a-z_]+\.[a-z_]+)\b", text)
    if literal:
        return literal.group(1)
    for pattern, event in _EVENTS:
        if re.search(pattern, text):
            return event
    trigger_of(text, plan)
    found = plan.trigger.get("event")
    return str(found) if found else None


def _actions(text: str, raw: str) -> tuple[list[dict[str, Any]], list[str]]:
    out: list[dict[str, Any]] = []
    seen: list[str] = []
    for m in re.finditer(rf"\b(?:un-?tag|remove (?:the )?tag) (?:them |it )?{_WORD}", text):
        out.append({"kind": "remove_tag", "tag": m.group(1)})
        seen.append("remove_tag")
    for m in re.finditer(
        rf"(?<!un)(?<!un-)\btag (?:them|it|the (?:lead|contact))?\s*(?:as |with )?{_WORD}", text
    ):
        if m.group(1) not in ("them", "it", "as", "with"):
            out.append({"kind": "add_tag", "tag": m.group(1)})
            seen.append("add_tag")
    stage = re.search(
        rf"\b(?:set|move|change|put) (?:the |their |its )?(?:stage )?(?:to |into )?(?:stage )?"
        rf"{_WORD} stage\b|\bstage (?:to |=\s*){_WORD}",
        text,
    )
    if stage:
        out.append({"kind": "set_stage", "stage": stage.group(1) or stage.group(2)})
        seen.append("set_stage")
    for m in re.finditer(r"\bset (?:the |their |its )?(\w+) (?:field )?to " + _WORD, text):
        if m.group(1) != "stage":
            out.append({"kind": "update_contact", "set": {m.group(1): m.group(2)}})
            seen.append("update_contact")
    owner = re.search(r"\bassign (?:it |them |the (?:lead|contact) )?to (?:agent )?" + _WORD, text)
    if owner:
        original = re.search(re.escape(owner.group(1)), raw, re.IGNORECASE)
        out.append(
            {"kind": "assign_owner", "owner": original.group(0) if original else owner.group(1)}
        )
        seen.append("assign_owner")
    notify = re.search(
        r"\b(notify|alert|tell|ping|text|email) (?:the |their |its )?(owner|agent|team lead)", text
    )
    if notify:
        urgent = re.search(r"\b(urgent|urgently|immediately|right away|asap)\b", text)
        action: dict[str, Any] = {
            "kind": "notify_agent",
            "title": "Follow up: " + raw.strip()[:150],
            "priority": "urgent" if urgent else "high",
            "to": "team_lead" if notify.group(2) == "team lead" else "owner",
        }
        if notify.group(1) == "email":
            action["channels"] = ["email"]
        out.append(action)
        seen.append("notify_agent")
    enroll = re.search(
        r"\b(?:enrol+|add|put|start) (?:them |it |the (?:lead|contact) )?(?:in|into|on|to) "
        r"(?:the )?['\"]?([a-z0-9][\w-]*)['\"]? (?:workflow|campaign|sequence|drip|play)",
        text,
    )
    if enroll:
        out.append({"kind": "enroll", "workflow": enroll.group(1)})
        seen.append("enroll")
    hook = re.search(r"\b(?:post|send|call|notify|webhook)\b[^.]*?(https?://[^\s,;]+)", raw, re.I)
    if hook:
        out.append({"kind": "webhook", "url": hook.group(1).rstrip(".")})
        seen.append("webhook")
    emit = re.search(r"\b(?:emit|raise|record) (?:an? |the )?(?:event )?([a-z_]+\.[a-z_]+)", text)
    if emit:
        out.append({"kind": "emit_event", "type": emit.group(1)})
        seen.append("emit_event")
    return out, seen


def draft_rule(text: str) -> RuleDraft:
    """The rule the words describe (as JSON), what was understood, and what was not."""
    raw = " ".join(text.split())
    low = raw.lower()
    plan = Plan(low)
    event = _event(low, plan)
    actions, seen = _actions(low, raw)
    leaves = list(plan.filters) + audience_of(low)
    priority = re.search(r"\bpriority (-?\d+)\b", low)
    rule: dict[str, Any] = {
        "name": raw[:200] or "rule",
        "event": event or "",
        "filter": None if not leaves else (leaves[0] if len(leaves) == 1 else {"all": leaves}),
        "actions": actions,
        "priority": int(priority.group(1)) if priority else 0,
    }
    draft = RuleDraft(rule, [f"event:{event}"] if event else [])
    draft.understood += [f"filter:{leaf['field']}" for leaf in leaves]
    draft.understood += [f"action:{k}" for k in seen]
    if not event:
        draft.notes.append("no event recognised: say when, e.g. 'when a new lead arrives'")
    if not actions:
        draft.notes.append("no action recognised: e.g. 'tag them hot', 'notify the owner'")
    return draft


def rule_messages(text: str, kinds: list[str]) -> list[dict[str, Any]]:
    """The model's prompt: the rule language in brief and the sentence."""
    system = (
        "You turn a real-estate team's sentence into one automation rule, as JSON: "
        '{"name", "event" (an event type such as lead.created, sms.received, '
        'lead.score_changed), "filter" (null or a condition: {"field": "event.data.x" or '
        '"contact.x", "op": eq|ne|gt|gte|lt|lte|in|contains|exists|between, "value": ...}, '
        'or {"all": [...]}, {"any": [...]}, {"not": ...}), "actions" (a list of {"kind": ...}; '
        f'kinds: {", ".join(kinds)}), "priority" (an integer, 0 by default)}}. '
        "Use only what the sentence says."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]


__all__ = ["RULE_SCHEMA", "RuleDraft", "draft_rule", "rule_messages"]
