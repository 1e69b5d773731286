"""Reading one reply: the compliance rules, then the model server when one is configured, then
the local model.

* A reply the opt-out rules catch is ``opt_out`` (confidence 1, source ``rules``).
* With a model server (``LEADFLOW_LLM_*``), it is asked for ``{"intent", "confidence"}``
  (structured output, temperature 0); an answer is used only when it names one of the seven
  intents with a confidence between 0 and 1 (source ``llm``).
* Otherwise, and on any failure of the server (down, slow, refused, over budget, a malformed
  answer), the local model answers (source ``model``; confidence: its probability).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from leadflow.replies.model import INTENTS, IntentPredictor, shipped_model
from leadflow.replies.rules import rules_opt_out

log = logging.getLogger("leadflow.replies")

PURPOSE = "reply_intent"
MAX_TEXT = 2000  # characters of a reply that are read (a long e-mail: its start)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": list(INTENTS)},
        "confidence": {"type": "number"},
    },
    "required": ["intent", "confidence"],
    "additionalProperties": False,
}
INSTRUCTIONS = (
    "You read replies that leads sent to a real-estate agent's texts and e-mails. Classify the "
    "reply into exactly one intent:\n"
    "- interested: wants to go on (yes, send more, likes a listing, ready to buy or sell)\n"
    "- question: asks for information (price, HOA, schools, taxes, availability, who is this)\n"
    "- not_now: not ready yet, maybe later, just looking, holding off\n"
    "- wrong_number: is not the person meant, never asked about a home\n"
    "- opt_out: wants no more messages (stop, unsubscribe, remove me, in any language)\n"
    "- appointment_request: wants a showing, tour, call or meeting, often with a day or time\n"
    "- needs_agent: wants a human, complains, asks if this is a bot, urgent matter for an agent\n"
    'Answer with JSON only: {"intent": "<one of the seven>", "confidence": <0..1>}.'
)


class JsonModel(Protocol):
    """What the reader needs of a model client (:class:`leadflow.ai.client.LlmClient`)."""

    def complete_json(
        self,
        tenant_id: str,
        purpose: str,
        messages: list[dict[str, Any]],
        schema: dict[str, Any],
        *,
        temperature: float = 0.0,
        use_cache: bool = True,
    ) -> Any: ...


class CallLedger(Protocol):
    def record_ai_call(self, call: Any) -> None: ...

    def ai_tokens_used(self, tenant_id: str, since: float) -> int: ...


class ReplyLedger:
    """The store as the model client's ledger for reading replies: a call the store refuses to
    record (a contact of the ``default`` tenant when no such tenant row exists) is logged, not
    raised, so the answer already paid for is still used."""

    def __init__(self, store: CallLedger) -> None:
        self.store = store

    def record_ai_call(self, call: Any) -> None:
        try:
            self.store.record_ai_call(call)
        except Exception as exc:
            log.warning("reply intent: model call not recorded: %s", exc)

    def ai_tokens_used(self, tenant_id: str, since: float) -> int:
        return self.store.ai_tokens_used(tenant_id, since)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a reply means: ``source`` is ``rules``, ``llm`` or ``model``."""

    text: str
    intent: str
    confidence: float
    source: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _from_llm(data: Any) -> tuple[str, float] | None:
    if not isinstance(data, dict):
        return None
    intent, confidence = data.get("intent"), data.get("confidence")
    if intent not in INTENTS or isinstance(confidence, bool):
        return None
    if not isinstance(confidence, int | float) or not 0.0 <= confidence <= 1.0:
        return None
    return str(intent), float(confidence)


class IntentReader:
    """Reads replies; ``llm`` (optional) is asked first, the local model is the fallback."""

    def __init__(self, llm: JsonModel | None = None, model: IntentPredictor | None = None) -> None:
        self.llm = llm
        self._model = model

    @property
    def model(self) -> IntentPredictor:
        if self._model is None:
            self._model = shipped_model()
        return self._model

    def _ask(self, tenant_id: str, text: str) -> tuple[str, float] | None:
        if self.llm is None:
            return None
        messages = [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": text},
        ]
        try:
            answer = self.llm.complete_json(tenant_id, PURPOSE, messages, SCHEMA, temperature=0.0)
        except Exception as exc:  # any failure of the server: the local model answers
            log.warning("reply intent: model server failed (%s); local model used", exc)
            return None
        found = _from_llm(getattr(answer, "data", None))
        if found is None:
            log.warning("reply intent: the model server's answer was not valid; local model used")
        return found

    def read(
        self,
        texts: Sequence[str],
        tenant_id: str = "default",
        provider_says: Sequence[str | None] | None = None,
    ) -> list[Reading]:
        """One reading per text, in order (``provider_says``: e.g. Twilio's ``OptOutType``)."""
        said = list(provider_says) if provider_says is not None else [None] * len(texts)
        found: dict[int, Reading] = {}
        rest: list[int] = []
        for i, text in enumerate(texts):
            if rules_opt_out(text, said[i]):
                found[i] = Reading(text, "opt_out", 1.0, "rules")
                continue
            asked = self._ask(tenant_id, text[:MAX_TEXT])
            if asked is not None:
                found[i] = Reading(text, asked[0], round(asked[1], 4), "llm")
            else:
                rest.append(i)
        if rest:
            predicted = self.model.predict([texts[i][:MAX_TEXT] for i in rest])
            for i, (intent, probability) in zip(rest, predicted, strict=True):
                found[i] = Reading(texts[i], intent, round(probability, 4), "model")
        return [found[i] for i in range(len(texts))]


__all__ = [
    "INSTRUCTIONS",
    "PURPOSE",
    "SCHEMA",
    "IntentReader",
    "JsonModel",
    "Reading",
    "ReplyLedger",
]
