"""Workflow generation: a sentence -> a valid draft definition, or a clear refusal.

With a model: draft -> validate -> the validator's errors back to the model (at most
:data:`MAX_ROUNDS` rounds) -> deterministic repair (only where exactly one fix is possible) ->
else the offline planner. Without a model (or when it is down, slow, over budget), the planner.
Nothing here publishes: the caller may save the result as a draft.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from leadflow.ai.client import LlmClient, LlmError
from leadflow.ai.parse import parse
from leadflow.ai.planner import plan_workflow
from leadflow.ai.similarity import similarity
from leadflow.ai.strict_schema import strict_workflow_schema, without_nulls
from leadflow.definitions.models import NODE_KINDS
from leadflow.definitions.validation import Report, validate

MAX_ROUNDS = 3
PURPOSE = "workflow"
SYSTEM = """You draft lead-nurture workflows for a real-estate team in leadflow's workflow language.
Answer with ONE JSON object: a workflow definition {key, name, description, triggers, settings,
start, nodes}. Use only these node kinds: %(kinds)s. Edges are node ids in next, on_timeout,
on_event, default, cases[].next, arms[].next; every id an edge names must be a node's id.
Triggers: {type: event, event: lead.created | lead.score_changed | listing.price_changed |
appointment.booked | deal.closed | lead.seller_inquiry, filter: condition} or {type: schedule,
cron: "m h dom mon dow"}. Conditions: {field, op, value} with op in eq ne gt gte lt lte in
contains exists between, or {all: [...]}, {any: [...]}, {not: ...}; fields start with contact.,
event.data., context. or steps.<node id>.(opened|clicked|replied). Durations: 30m, 2h, 3d, 1w.
wait_until: {time: "HH:MM", weekdays: [mon..sun], offset_days}. wait_for_event: {event:
sms.received | email.received | email.opened, timeout, on_event, on_timeout}. Notify the agent
with {kind: notify_agent, title, due_in, priority: low|normal|high|urgent} (a task for the
contact's owner, who is told by text). Message bodies are Jinja2 and may
use contact.first_name, contact.last_name; write {{ contact.first_name or 'there' }}. Texts end
with "Reply STOP to opt out."; keys are lower-case with dashes."""


@dataclass
class Generation:
    """The outcome. ``definition`` is set only when it validated; otherwise ``refusal`` says why.
    ``source``: model, repaired or planner."""

    prompt: str
    definition: dict[str, Any] | None = None
    report: Report | None = None
    source: str = "planner"
    rounds: int = 0
    validity: float = 0.0
    agreement: float | None = None
    intents: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the planner's (e.g. a filler action)
    warnings: list[str] = field(default_factory=list)
    refusal: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0
    cache_hits: int = 0


def _messages(prompt: str) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": SYSTEM % {"kinds": ", ".join(NODE_KINDS)}},
        {"role": "user", "content": prompt},
    ]


def repair(data: Any) -> Any | None:
    """A copy of ``data`` with the problems that have exactly one possible fix fixed (an unknown
    node kind or an edge to a missing node each close to exactly one real name), or None when
    nothing could be fixed that way."""
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return None
    fixed = json.loads(json.dumps(data))
    nodes = [n for n in fixed["nodes"] if isinstance(n, dict)]
    ids = [str(n.get("id")) for n in nodes]
    changed = False

    def one(name: Any, choices: list[str]) -> str | None:
        close = difflib.get_close_matches(str(name), choices, n=2, cutoff=0.75)
        return close[0] if len(close) == 1 else None

    for node in nodes:
        kind = node.get("kind")
        if kind not in NODE_KINDS:
            real = one(kind, list(NODE_KINDS))
            if real is None:
                return None
            node["kind"], changed = real, True
        for name in ("next", "on_timeout", "on_event", "default", "on_error"):
            target = node.get(name)
            if target is not None and target not in ids:
                real = one(target, ids)
                if real is None:
                    return None
                node[name], changed = real, True
        for case in node.get("cases") or []:
            if isinstance(case, dict) and case.get("next") not in ids:
                real = one(case.get("next"), ids)
                if real is None:
                    return None
                case["next"], changed = real, True
    if fixed.get("start") not in ids and ids:
        real = one(fixed.get("start"), ids)
        fixed["start"], changed = real or ids[0], True
    return fixed if changed else None


def _planner(result: Generation, key: str | None) -> Generation:
    draft = plan_workflow(result.prompt, key)
    result.intents = draft.plan.intents
    result.notes = list(draft.plan.notes)
    result.warnings += draft.plan.notes
    if not draft.plan.intents:
        result.refusal = (
            "could not recognise a trigger or an action in the request; name what should start "
            "the workflow (a new lead, a hot score, a price drop, a booking, a closing, a "
            "schedule) and what it should do (text, e-mail, call, wait, notify the agent...)"
        )
        return result
    if not draft.report.ok:  # the planner builds valid drafts; say so plainly if not
        result.refusal = "the planner could not draft a valid workflow: " + "; ".join(
            draft.report.errors[:5]
        )
        return result
    result.definition, result.report = draft.definition, draft.report
    result.source, result.validity = "planner", 1.0
    return result


def _ask(
    client: LlmClient,
    tenant_id: str,
    messages: list[dict[str, Any]],
    result: Generation,
    temperature: float = 0.0,
) -> Any:
    answer = client.complete_json(
        tenant_id,
        PURPOSE,
        messages,
        strict_workflow_schema(),
        temperature=temperature,
        use_cache=temperature == 0.0,
    )
    result.calls += 1
    result.cache_hits += answer.cache_hit
    result.tokens_in += answer.tokens_in
    result.tokens_out += answer.tokens_out
    return answer


def generate_workflow(
    prompt: str,
    *,
    client: LlmClient | None,
    tenant_id: str,
    key: str | None = None,
    samples: int = 1,
) -> Generation:
    """A valid draft for ``prompt`` or a refusal; see the module docstring."""
    result = Generation(prompt=prompt.strip())
    if not result.prompt:
        result.refusal = "the request is empty"
        return result
    result.intents = parse(result.prompt).intents
    if client is None:
        return _planner(result, key)
    messages = _messages(result.prompt)
    data: Any = None
    try:
        for round_no in range(1, MAX_ROUNDS + 1):
            result.rounds = round_no
            answer = _ask(client, tenant_id, messages, result)
            data = without_nulls(answer.data) if answer.data is not None else None
            if isinstance(data, dict) and key:
                data["key"] = key
            report = validate(data) if data is not None else None
            if report is not None and report.ok:
                result.definition, result.report, result.source = data, report, "model"
                result.validity = 1.0 if round_no == 1 else 0.7
                break
            errors = report.errors if report else ["the answer is not a JSON object"]
            messages = [
                *messages,
                {"role": "assistant", "content": answer.text[:20000]},
                {
                    "role": "user",
                    "content": "The draft is invalid:\n- "
                    + "\n- ".join(errors[:20])
                    + "\nAnswer with the corrected complete definition.",
                },
            ]
    except LlmError as exc:
        result.warnings.append(f"model not used: {exc}; the offline planner drafted this")
        return _planner(result, key)
    if result.definition is None:
        fixed = repair(data)
        report = validate(fixed) if fixed is not None else None
        if fixed is not None and report is not None and report.ok:
            result.definition, result.report, result.source = fixed, report, "repaired"
            result.validity = 0.5
            result.warnings.append("the model's draft was repaired (a name close to one real one)")
        else:
            result.warnings.append(
                f"the model's drafts stayed invalid after {result.rounds} rounds; "
                "the offline planner drafted this"
            )
            return _planner(result, key)
    if samples > 1 and result.definition is not None:
        result.agreement = _agreement(client, tenant_id, result, samples)
    return result


def _agreement(client: LlmClient, tenant_id: str, result: Generation, samples: int) -> float:
    """Mean structural similarity of the draft with ``samples - 1`` more drafts (temperature
    0.7); an extra draft that fails or is invalid counts as 0."""
    assert result.definition is not None
    scores: list[float] = []
    for _ in range(samples - 1):
        try:
            answer = _ask(client, tenant_id, _messages(result.prompt), result, temperature=0.7)
        except LlmError:
            scores.append(0.0)
            continue
        other = without_nulls(answer.data) if answer.data is not None else None
        ok = other is not None and validate(other).ok
        scores.append(similarity(result.definition, other) if ok else 0.0)
    return round(sum(scores) / len(scores), 3) if scores else 1.0
