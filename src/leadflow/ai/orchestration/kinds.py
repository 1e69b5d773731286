"""What each kind of task does, given its input, the results of its dependencies and (when one
is configured) the model client. A kind answers a :class:`KindResult` or raises
:class:`TaskFailed` with a message the batch's owner can act on.

* ``compose``: one message per contact from a brief (model; without one, a fixed template);
* ``classify``: reply texts -> intent + confidence (model; without one, the context's local
  ``classifier``, :func:`intents.keyword_intent` unless the plugin was given another);
  an opt-out the compliance rules see stays an opt-out whatever the model says;
* ``summarise``: what to know about a lead before calling (extractive; written by the model
  when configured);
* ``draft_workflow`` / ``draft_campaign``: the existing drafting (``generate_workflow``, and the
  campaign planner), never saved or published.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadflow.ai import campaign
from leadflow.ai.client import LlmAnswer, LlmClient, LlmError
from leadflow.ai.confidence import planner_confidence, request_coverage
from leadflow.ai.generate import generate_workflow
from leadflow.ai.orchestration import intents
from leadflow.ai.planner import plan_workflow
from leadflow.ai.strict_schema import closed_object, string_fields
from leadflow.model.records import Contact, Event, Message, MessageFilter
from leadflow.store.contract import Store

SMS_LIMIT = 320  # two segments
EMAIL_LIMIT = 3000
MODEL_CONFIDENCE = 0.8  # a model answer that passed its checks
TEMPLATE_CONFIDENCE = 0.5  # the fixed template: safe, generic


class TaskFailed(Exception):
    """The task cannot produce a result; the message is stored as the task's error."""


@dataclass
class KindResult:
    result: Any
    confidence: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass
class TaskContext:
    store: Store
    tenant_id: str
    task_id: str
    client: LlmClient | None
    deps: dict[str, Any] = field(default_factory=dict)  # dependency id -> its result
    usage: list[int] = field(default_factory=lambda: [0, 0])  # tokens in, out
    classifier: intents.Classifier = intents.keyword_intent  # classify without a model

    def ask(self, purpose: str, system: str, user: str, schema: dict[str, Any]) -> LlmAnswer:
        assert self.client is not None
        try:
            answer = self.client.complete_json(
                self.tenant_id,
                purpose,
                [{"role": "system", "content": system}, {"role": "user", "content": user}],
                schema,
            )
        except LlmError as exc:
            raise TaskFailed(f"model call failed ({exc.kind}): {exc}") from None
        self.usage[0] += answer.tokens_in
        self.usage[1] += answer.tokens_out
        return answer

    def contacts(self, ids: list[str]) -> list[Contact]:
        found = self.store.get_contacts(ids)
        out = []
        for cid in ids:
            contact = found.get(cid)
            if contact is None or contact.tenant_id != self.tenant_id:
                raise TaskFailed(f"no contact {cid!r}")
            out.append(contact)
        return out

    def done(self, result: Any, confidence: float | None) -> KindResult:
        return KindResult(result, confidence, self.usage[0], self.usage[1])


def _dep_notes(ctx: TaskContext) -> str:
    if not ctx.deps:
        return ""
    text = json.dumps(ctx.deps, ensure_ascii=False, default=str)[:4000]
    return f"\nResults of earlier tasks: {text}"


# ------------------------------------------------------------------------------------ compose
COMPOSE_SCHEMA = string_fields("text")
COMPOSE_SYSTEM = (
    "You write one short {channel} message from a real-estate agent to one lead, following the "
    'brief. Use only facts given. Answer with JSON {{"text": "..."}}.'
)


def _template(contact: Contact, brief: str, channel: str) -> str:
    hello = f"Hi {contact.first_name or 'there'}, "
    text = hello + brief.strip().rstrip(".") + "."
    return text + " Reply STOP to opt out." if channel == "sms" else text


def compose(ctx: TaskContext, data: dict[str, Any]) -> KindResult:
    channel = data.get("channel", "sms")
    limit = SMS_LIMIT if channel == "sms" else EMAIL_LIMIT
    brief = str(data["brief"])
    messages = []
    for contact in ctx.contacts(list(data["contact_ids"])):
        if ctx.client is None:
            text = _template(contact, brief, channel)[:limit]
            messages.append({"contact_id": contact.id, "text": text, "source": "template"})
            continue
        facts = {
            "contact_id": contact.id,
            "first_name": contact.first_name,
            "stage": contact.stage,
            "city": contact.fields.get("city"),
        }
        answer = ctx.ask(
            "orchestrate.compose",
            COMPOSE_SYSTEM.format(channel=channel),
            f"Brief: {brief}\nLead: {json.dumps(facts, ensure_ascii=False)}{_dep_notes(ctx)}",
            COMPOSE_SCHEMA,
        )
        said = answer.data.get("text") if isinstance(answer.data, dict) else None
        if not isinstance(said, str) or not said.strip():
            raise TaskFailed(f"the model's answer for contact {contact.id!r} is not a message")
        if len(said) > limit:
            raise TaskFailed(
                f"the model's message for contact {contact.id!r} is {len(said)} characters; "
                f"a {channel} allows {limit}"
            )
        messages.append({"contact_id": contact.id, "text": said.strip(), "source": "model"})
    model = ctx.client is not None
    return ctx.done(
        {"channel": channel, "messages": messages},
        MODEL_CONFIDENCE if model else TEMPLATE_CONFIDENCE,
    )


# ------------------------------------------------------------------------------------ classify
CLASSIFY_SCHEMA = closed_object(
    {
        "items": {
            "type": "array",
            "items": closed_object(
                {
                    "intent": {"type": "string", "enum": list(intents.INTENTS)},
                    "confidence": {"type": "number"},
                }
            ),
        }
    }
)
CLASSIFY_SYSTEM = (
    "You classify replies a real-estate lead sent, each as one of: "
    + ", ".join(intents.INTENTS)
    + ', with a confidence from 0 to 1. Answer with JSON {"items": [{"intent", "confidence"}]},'
    " one item per reply, in order."
)


def _model_items(answer: LlmAnswer, n: int) -> list[tuple[str, float]]:
    items = answer.data.get("items") if isinstance(answer.data, dict) else None
    if not isinstance(items, list) or len(items) != n:
        raise TaskFailed(f"the model's answer is not a classification of the {n} replies")
    out = []
    for i, item in enumerate(items):
        intent = item.get("intent") if isinstance(item, dict) else None
        conf = item.get("confidence") if isinstance(item, dict) else None
        if intent not in intents.INTENTS:
            raise TaskFailed(f"the model's answer for reply {i} names no known intent: {intent!r}")
        if isinstance(conf, bool) or not isinstance(conf, int | float) or not 0 <= conf <= 1:
            raise TaskFailed(f"the model's confidence for reply {i} is not between 0 and 1")
        out.append((str(intent), float(conf)))
    return out


def classify(ctx: TaskContext, data: dict[str, Any]) -> KindResult:
    texts = [str(t) for t in data["texts"]]
    if ctx.client is None:
        found = [ctx.classifier(t) for t in texts]
        source = "local"
    else:
        numbered = "\n".join(f"{i + 1}. {t}" for i, t in enumerate(texts))
        answer = ctx.ask("orchestrate.classify", CLASSIFY_SYSTEM, numbered, CLASSIFY_SCHEMA)
        found = _model_items(answer, len(texts))
        source = "model"
    items: list[dict[str, Any]] = []
    for text, (intent, conf) in zip(texts, found, strict=True):
        item = {"text": text, "intent": intent, "confidence": round(conf, 3), "source": source}
        if intent != "opt_out" and intents.is_opt_out(text):
            item.update(intent="opt_out", confidence=0.95, source="compliance_rules")
        items.append(item)
    mean = sum(float(i["confidence"]) for i in items) / len(items)
    return ctx.done({"items": items}, round(mean, 3))


# ------------------------------------------------------------------------------------ summarise
SUMMARY_SCHEMA = string_fields("summary")
SUMMARY_SYSTEM = (
    "You brief a real-estate agent before a call with a lead, in at most five short sentences, "
    'from the facts given only. Answer with JSON {"summary": "..."}.'
)


PAGE = 500


def _last_messages(store: Store, contact_id: str, keep: int = 20) -> list[Message]:
    """The contact's last ``keep`` messages by id (paged through, oldest first)."""
    found: list[Message] = []
    after = 0
    while True:
        page = store.list_messages(MessageFilter(contact_id=contact_id, limit=PAGE, after_id=after))
        found = (found + page)[-keep:]
        nxt = page[-1].id if page else None
        if len(page) < PAGE or not nxt or nxt <= after:
            return found
        after = nxt


def _last_events(store: Store, contact_id: str, keep: int = 20) -> list[Event]:
    """The contact's last ``keep`` events by id (paged through, oldest first)."""
    found: list[Event] = []
    after = 0
    while True:
        page = store.list_events(contact_id, limit=PAGE, after_id=after)
        found = (found + page)[-keep:]
        nxt = page[-1].id if page else None
        if len(page) < PAGE or not nxt or nxt <= after:
            return found
        after = nxt


def _facts(ctx: TaskContext, contact: Contact) -> dict[str, Any]:
    last_msgs = sorted(_last_messages(ctx.store, contact.id), key=lambda m: m.created_at)[-5:]
    last_events = sorted(_last_events(ctx.store, contact.id), key=lambda e: e.occurred_at)[-5:]
    keep = ("city", "budget", "price_max", "beds", "timeline", "lead_type", "source", "score")
    return {
        "name": " ".join(p for p in (contact.first_name, contact.last_name) if p) or contact.id,
        "stage": contact.stage,
        "tags": list(contact.tags),
        "owner": contact.owner,
        "fields": {k: contact.fields[k] for k in keep if k in contact.fields},
        "last_messages": [
            {"channel": m.channel, "status": str(m.status), "text": (m.body or "")[:160]}
            for m in last_msgs
        ],
        "last_events": [{"type": e.type, "data": e.data} for e in last_events],
    }


def _extractive(facts: dict[str, Any]) -> str:
    parts = [f"{facts['name']}" + (f", stage {facts['stage']}" if facts["stage"] else "") + "."]
    if facts["fields"]:
        parts.append("Known: " + ", ".join(f"{k} {v}" for k, v in facts["fields"].items()) + ".")
    if facts["tags"]:
        parts.append("Tags: " + ", ".join(facts["tags"]) + ".")
    if facts["last_events"]:
        parts.append("Last events: " + ", ".join(e["type"] for e in facts["last_events"]) + ".")
    if facts["last_messages"]:
        last = facts["last_messages"][-1]
        parts.append(f"Last message ({last['channel']}, {last['status']}): {last['text']}")
    return " ".join(parts)


def summarise(ctx: TaskContext, data: dict[str, Any]) -> KindResult:
    (contact,) = ctx.contacts([str(data["contact_id"])])
    facts = _facts(ctx, contact)
    if ctx.client is None:
        text, source, conf = _extractive(facts), "extractive", 1.0
    else:
        answer = ctx.ask(
            "orchestrate.summarise",
            SUMMARY_SYSTEM,
            json.dumps(facts, ensure_ascii=False, default=str) + _dep_notes(ctx),
            SUMMARY_SCHEMA,
        )
        got = answer.data.get("summary") if isinstance(answer.data, dict) else None
        if not isinstance(got, str) or not got.strip():
            raise TaskFailed("the model's answer is not a summary")
        text, source, conf = got.strip(), "model", MODEL_CONFIDENCE
    return ctx.done(
        {"contact_id": contact.id, "summary": text, "source": source, "facts": facts}, conf
    )


# ------------------------------------------------------------------------------------ drafts
def draft_workflow(ctx: TaskContext, data: dict[str, Any]) -> KindResult:
    gen = generate_workflow(
        str(data["prompt"]), client=ctx.client, tenant_id=ctx.tenant_id, key=data.get("key")
    )
    if gen.definition is None:
        raise TaskFailed(f"no draft: {gen.refusal}")
    if gen.source == "planner":
        conf = planner_confidence(plan_workflow(gen.prompt, data.get("key"))).value
    else:
        covered = request_coverage(gen.prompt, gen.intents, gen.definition, gen.notes)
        conf = round(0.3 * gen.validity + 0.3 * covered + 0.2, 3)
    result = {
        "definition": gen.definition,
        "source": gen.source,
        "rounds": gen.rounds,
        "warnings": gen.warnings,
    }
    return KindResult(result, conf, gen.tokens_in, gen.tokens_out)


def draft_campaign(ctx: TaskContext, data: dict[str, Any]) -> KindResult:
    goal = str(data["goal"])
    allowed = list(data.get("channels") or ["sms", "email"])
    out = []
    for i, seg in enumerate(campaign.segments_of(str(data.get("audience") or ""))):
        channels = campaign.channel_plan(seg, allowed)
        key = f"campaign-{seg.name}"[:64] if seg.name else f"campaign-{i + 1}"
        definition = campaign.campaign_workflow(key, f"Campaign: {goal}", seg, channels, goal, None)
        out.append(
            {
                "segment": seg.name,
                "conditions": seg.conditions,
                "channels": channels,
                "workflow": definition,
            }
        )
    return KindResult({"goal": goal, "segments": out}, 1.0 if out else 0.0)


KindFn = Callable[[TaskContext, dict[str, Any]], KindResult]
KIND_FUNCTIONS: dict[str, KindFn] = {
    "compose": compose,
    "classify": classify,
    "summarise": summarise,
    "draft_workflow": draft_workflow,
    "draft_campaign": draft_campaign,
}
USES_MODEL = frozenset({"compose", "classify", "summarise", "draft_workflow"})

__all__ = ["KIND_FUNCTIONS", "USES_MODEL", "KindResult", "TaskContext", "TaskFailed"]
