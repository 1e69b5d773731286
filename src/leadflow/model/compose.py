"""A message the ``ai_compose`` node made for one visit of one run (kept before it is queued)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ComposeDraft:
    """The text one ``ai_compose`` step chose: the model's draft, or the node's template when
    there was no model, the model failed, or the draft broke a guardrail (``reasons`` say
    which). ``step_key`` is the step's idempotency key (``run:node:step``): the step executed
    again after a crash finds this row and sends the same text."""

    tenant_id: str
    step_key: str
    contact_id: str
    node: str
    channel: str  # sms or email
    body: str
    source: str  # model or template
    created_at: float
    subject: str | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)  # why the template went out
    draft: str | None = None  # the model's refused draft, kept for review


__all__ = ["ComposeDraft"]
