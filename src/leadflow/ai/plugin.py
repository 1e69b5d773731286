"""The AI feature's plugin: the ``ai_compose`` node (drafted by the configured model, checked by
the guardrails; the node's template without a model)."""

from __future__ import annotations

from collections.abc import Callable

from leadflow.ai.client import LlmClient, LlmConfig
from leadflow.ai.compose_node import AiComposeHandler, Composer
from leadflow.ai.summary import summarize
from leadflow.clock import Clock
from leadflow.engine.plugins import Plugin
from leadflow.model.records import Contact
from leadflow.store.contract import Store

ScoreOf = Callable[[Contact, float], dict[str, object]]


def model_client(
    store: Store, config: LlmConfig | None, clock: Clock | None = None
) -> LlmClient | None:
    """The engine's model client (its calls in the store's ledger), None without a model."""
    return LlmClient(config, clock=clock, ledger=store) if config is not None else None


def ai_plugin(store: Store, client: LlmClient | None, brand: str | None = None) -> Plugin:
    """``client`` None: no model, every ai_compose sends its template."""
    return Plugin("ai", handlers={"ai_compose": AiComposeHandler(Composer(store, client, brand))})


def lead_summarizer(
    store: Store, client: LlmClient | None, score_of: ScoreOf
) -> Callable[[Contact, float], str]:
    """The lead summary's text for ``notify_agent`` (``score_of``: the scoring feature's score
    of the contact, as a dict)."""

    def summary_text(contact: Contact, now: float) -> str:
        return summarize(store, contact, now, dict(score_of(contact, now)), client).text

    return summary_text


__all__ = ["ai_plugin", "lead_summarizer", "model_client"]
