"""Reply intents for ``classify`` tasks. :data:`CLASSIFIER` is the one local classifier the
tasks call when no model is configured: a keyword fallback here, replaceable by a trained model
(assign another ``(text) -> (intent, confidence)`` callable to it)."""

from __future__ import annotations

import re
from collections.abc import Callable

from leadflow.compliance.keywords import Intent, classify

INTENTS = (
    "interested",
    "question",
    "not_now",
    "wrong_number",
    "opt_out",
    "appointment_request",
    "needs_agent",
)
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


CLASSIFIER: Callable[[str], tuple[str, float]] = keyword_intent


def local_intent(text: str) -> tuple[str, float]:
    """The configured local classifier's answer (looked up at each call, so a replacement
    assigned to :data:`CLASSIFIER` is used at once)."""
    return CLASSIFIER(text)


def is_opt_out(text: str) -> bool:
    """Whether the compliance keyword and phrase rules read ``text`` as an opt-out (no model
    answer may weaken that)."""
    return classify(text) is Intent.OPT_OUT


__all__ = ["CLASSIFIER", "INTENTS", "is_opt_out", "keyword_intent", "local_intent"]
