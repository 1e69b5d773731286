"""The AI feature's plugin: the ``ai_compose`` node (drafted by the configured model, checked by
the guardrails; the node's template without a model)."""

from __future__ import annotations

from leadflow.ai.client import LlmClient, LlmConfig
from leadflow.ai.compose_node import AiComposeHandler, Composer
from leadflow.clock import Clock
from leadflow.engine.plugins import Plugin
from leadflow.store.contract import Store


def ai_plugin(
    store: Store, config: LlmConfig | None, brand: str | None = None, clock: Clock | None = None
) -> Plugin:
    """``config`` None: no model, every ai_compose sends its template."""
    client = LlmClient(config, clock=clock, ledger=store) if config is not None else None
    return Plugin("ai", handlers={"ai_compose": AiComposeHandler(Composer(store, client, brand))})


__all__ = ["ai_plugin"]
