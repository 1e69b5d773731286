"""One message for one lead, drafted by the model from a brief and the lead's data, checked by
the guardrails (:mod:`leadflow.ai.guardrails`), else the node's template.

:func:`compose` is the whole decision: without a model, with a model that fails or answers
something that is not a draft, or with a draft that breaks a guardrail, the template goes out
and the reasons say why. The model sees only :class:`Brief` (the data the facts check allows).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from leadflow.ai.guardrails import Facts, Limits, check
from leadflow.ai.strict_schema import string_fields

if TYPE_CHECKING:
    from leadflow.ai.client import LlmClient

PURPOSE = "compose"
MAX_FIELD_CHARS = 300
MAX_FIELDS = 40

SYSTEM = """You write one %(channel)s from a real-estate agent to one lead, following the brief.
Answer with JSON: %(shape)s.
Rules, all checked after you answer (a draft that breaks one is thrown away):
- Use only facts in the data: no URL, price, address, date, time or other number that is not in
  it. Do not promise anything the data does not say.
- Describe homes, never the people they suit: no words about race, color, religion, sex,
  disability, familial status or national origin (no "great for families", "safe neighborhood",
  "perfect for young professionals").
- %(length)s
%(first)s- Plain, friendly and short; no emoji; sign as the sender."""


@dataclass(frozen=True)
class Brief:
    """What the model is given: the brief and the lead's data (all of it counts as facts)."""

    brief: str
    channel: str
    lead: dict[str, Any]
    listings: list[dict[str, Any]]
    sender: dict[str, Any]
    first_text: bool

    def data(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Composed:
    body: str
    subject: str | None
    source: str  # model or template
    reasons: list[str] = field(default_factory=list)  # why the template went out
    draft: str | None = None  # the model's refused draft


def answer_schema(channel: str) -> dict[str, Any]:
    return string_fields("subject", "body") if channel == "email" else string_fields("body")


def messages_for(brief: Brief, limits: Limits) -> list[dict[str, Any]]:
    if brief.channel == "sms":
        length = (
            f"At most {limits.max_chars} characters and {limits.max_segments} SMS segments "
            "(160 plain characters each; any emoji or curly quote makes them 70)."
        )
        shape = '{"body": "..."}'
    else:
        length = f"The body at most {limits.max_chars} characters."
        shape = '{"subject": "...", "body": "..."}'
    first = ""
    if brief.first_text:
        first = (
            "- This is the first text to this lead: say who you are (the sender's name or "
            "company from the data) and end with 'Reply STOP to opt out'.\n"
        )
    system = SYSTEM % {
        "channel": "text message (SMS)" if brief.channel == "sms" else "e-mail",
        "shape": shape,
        "length": length,
        "first": first,
    }
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": json.dumps(brief.data(), ensure_ascii=False, default=str)},
    ]


def _draft_of(data: Any, channel: str) -> tuple[str, str | None] | None:
    if not isinstance(data, dict) or not isinstance(data.get("body"), str):
        return None
    subject = data.get("subject")
    if channel == "email" and not (isinstance(subject, str) and subject.strip()):
        return None
    return data["body"].strip(), subject.strip() if isinstance(subject, str) else None


def compose(
    client: LlmClient | None,
    tenant_id: str,
    brief: Brief,
    limits: Limits,
    template_body: str,
    template_subject: str | None = None,
) -> Composed:
    """The text to send: the model's draft when it passes every guardrail, else the template."""
    template = Composed(template_body, template_subject, "template")
    if client is None:
        template.reasons.append("model: no model is configured")
        return template
    from leadflow.ai.client import answer_or_reason

    answer = answer_or_reason(
        template.reasons,
        lambda: client.complete_json(
            tenant_id,
            PURPOSE,
            messages_for(brief, limits),
            answer_schema(brief.channel),
            temperature=0.4,
            use_cache=False,
        ),
    )
    if answer is None:
        return template
    found = _draft_of(answer.data, brief.channel)
    if found is None:
        template.reasons.append("model: the answer was not a draft of the asked shape")
        template.draft = answer.text[:2000] or None
        return template
    body, subject = found
    verdict = check(body, limits, Facts.of(brief.data()), subject)
    if not verdict.ok:
        template.reasons.extend(verdict.problems)
        template.draft = body if subject is None else f"{subject}\n\n{body}"
        return template
    return Composed(body, subject, "model")


def clipped_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A contact's custom fields as the model sees them: at most MAX_FIELDS, long text cut."""
    out: dict[str, Any] = {}
    for name in sorted(fields)[:MAX_FIELDS]:
        value = fields[name]
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            value = value[:MAX_FIELD_CHARS]
        out[name] = value
    return out


__all__ = ["PURPOSE", "Brief", "Composed", "answer_schema", "clipped_fields", "compose"]
