"""Reading replies on request: ``POST /api/v1/replies/classify`` and ``leadflow replies
classify`` give, for each text, the intent an inbound reply with those words would get (the
compliance rules, the model server when one is configured, the local model), for trying it and
for scripts. Any role may ask; a model server's calls count against the caller's tenant."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.errors import InvalidInput
from leadflow.replies.intent import IntentReader, Reading
from leadflow.replies.observer import IntentObserver
from leadflow.runtime import Runtime, intent_reader
from leadflow.tenancy.accounts import Principal

MAX_TEXTS = 100
MAX_CHARS = 2000


def check_texts(texts: Sequence[str]) -> list[str]:
    """The texts, or InvalidInput naming each bad one (``texts[2]: ...``)."""
    if not texts:
        raise InvalidInput("texts: give at least one text", [("texts", "give at least one text")])
    if len(texts) > MAX_TEXTS:
        problem = f"at most {MAX_TEXTS} texts per request, got {len(texts)}"
        raise InvalidInput(f"texts: {problem}", [("texts", problem)])
    problems = []
    for i, text in enumerate(texts):
        if not text.strip():
            problems.append((f"texts[{i}]", "is empty"))
        elif len(text) > MAX_CHARS:
            problems.append((f"texts[{i}]", f"longer than {MAX_CHARS} characters ({len(text)})"))
    if problems:
        raise InvalidInput("; ".join(f"{f}: {p}" for f, p in problems), problems)
    return list(texts)


def reader_of(rt: Runtime) -> IntentReader:
    """The reader the runtime's workers use (one model, one model-server client)."""
    for observer in rt.engine.registry.observers:
        if isinstance(observer, IntentObserver):
            return observer.reader
    return intent_reader(rt.settings, rt.store, rt.clock)


def classify(rt: Runtime, principal: Principal, texts: Sequence[str]) -> list[Reading]:
    return reader_of(rt).read(check_texts(texts), principal.tenant_id)


__all__ = ["MAX_CHARS", "MAX_TEXTS", "check_texts", "classify", "reader_of"]
