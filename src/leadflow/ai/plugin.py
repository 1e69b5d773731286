"""The AI feature's plugin: the ``ai_compose`` node (drafted by the configured model, checked by
the guardrails; the node's template without a model)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from leadflow.ai.client import LlmClient, LlmConfig
from leadflow.ai.compose_node import AiComposeHandler, Composer
from leadflow.ai.summary import summarize
from leadflow.clock import Clock
from leadflow.engine.plugins import Plugin
from leadflow.errors import StoreError
from leadflow.model.ai import AiCall
from leadflow.model.records import Contact
from leadflow.store.contract import Store

log = logging.getLogger("leadflow.ai")
ScoreOf = Callable[[Contact, float], dict[str, object]]


class WorkerLedger:
    """The store's AI-call ledger as a worker uses it: a call that cannot be recorded (a lead
    of tenant "default" with no tenants row: the ledger's foreign key) is logged, not allowed
    to fail the step whose message it drafted."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record_ai_call(self, call: AiCall) -> None:
        try:
            self.store.record_ai_call(call)
        except StoreError as exc:
            log.warning("AI call of tenant %r not recorded: %s", call.tenant_id, exc)

    def ai_tokens_used(self, tenant_id: str, since: float) -> int:
        return self.store.ai_tokens_used(tenant_id, since)


def model_client(
    store: Store, config: LlmConfig | None, clock: Clock | None = None
) -> LlmClient | None:
    """The engine's model client (its calls in the store's ledger), None without a model."""
    if config is None:
        return None
    return LlmClient(config, clock=clock, ledger=WorkerLedger(store))


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


__all__ = ["WorkerLedger", "ai_plugin", "lead_summarizer", "model_client"]
