"""Reply intents for ``classify`` tasks. A :data:`Classifier` is the local classifier the tasks
call when no model is configured: :func:`keyword_intent` here unless the plugin is given another
``(text) -> (intent, confidence)`` callable (the runtime gives the trained reply-intent model)."""

from __future__ import annotations

import re
from collections.abc import Callable

from leadflow.compliance.keywords import Intent, classify
from leadflow.model.replies import INTENTS

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "wrong_number",
        re.compile(
            r"\bwrong (?:number|person|#)|\bwho(?:'s| is) this\b|\bdon'?t know (?:you|who)|"
            r"\bn[uú]mero equivocado\b|\bqui[eé]n es\b"
        ),
    ),
    (
        "appointment_request",
        re.compile(
            r"\b(?:tour|showing|show me|see (?:it|the house|the home)|schedule|appointment|"
            r"book|visit|meet|available (?:on|at|this|tomorrow)|cita|verla?)\b"
        ),
    ),
    (
        "not_now",
        re.compile(
            r"\b(?:not now|not yet|not ready|later|next (?:year|month|spring|summer|fall)|"
            r"few months|maybe later|busy|m[aá]s tarde|ahora no)\b"
        ),
    ),
    (
        "question",
        re.compile(
            r"\?|^(?:what|how|when|where|which|is|are|does|do|can|could|would|cu[aá]nto|"
            r"qu[eé]|d[oó]nde)\b"
        ),
    ),
    (
        "interested",
        re.compile(
            r"\b(?:yes|yeah|yep|sure|interested|sounds good|love|great|send|please do|ok|okay|"
            r"s[ií]|me interesa)\b|👍|❤️|😍"
        ),
    ),
]
Classifier = Callable[[str], tuple[str, float]]
KEYWORD_CONFIDENCE = 0.6
FALLBACK_CONFIDENCE = 0.3


def keyword_intent(text: str) -> tuple[str, float]:
    """The first rule that matches (opt-outs by the compliance rules first); needs_agent with a
    low confidence when none does."""
    if classify(text) is Intent.OPT_OUT:
        return "opt_out", 0.95
    plain = text.strip().lower()
    for intent, rule in _RULES:
        if rule.search(plain):
            return intent, KEYWORD_CONFIDENCE
    return "needs_agent", FALLBACK_CONFIDENCE


def is_opt_out(text: str) -> bool:
    """Whether the compliance keyword and phrase rules read ``text`` as an opt-out (no model
    answer may weaken that)."""
    return classify(text) is Intent.OPT_OUT


__all__ = ["INTENTS", "Classifier", "is_opt_out", "keyword_intent"]
