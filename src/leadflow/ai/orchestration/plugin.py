"""The orchestration plugin: the periodic job every worker runs (see :mod:`.runner`)."""

from __future__ import annotations

import threading
from dataclasses import fields

from leadflow.ai.client import LlmClient, LlmConfig, prefixed_settings
from leadflow.ai.orchestration.intents import Classifier, keyword_intent
from leadflow.ai.orchestration.runner import OrchestrationConfig, OrchestrationJob
from leadflow.clock import Clock
from leadflow.engine.plugins import Plugin
from leadflow.settings import Settings
from leadflow.store.contract import Store


def orchestration_config(settings: Settings) -> OrchestrationConfig:
    """Every field from the setting ``orchestrate_<field>``."""
    names = (f.name for f in fields(OrchestrationConfig))
    return OrchestrationConfig(**prefixed_settings(settings, "orchestrate_", names))


def orchestration_plugin(
    store: Store, settings: Settings, clock: Clock, classifier: Classifier = keyword_intent
) -> Plugin:
    """A plugin whose job runs the store's orchestration tasks with the configured model (made
    at the first task that needs it); ``classifier``: what ``classify`` tasks read replies with
    when no model is configured."""
    config = LlmConfig.from_settings(settings)
    made: list[LlmClient] = []
    lock = threading.Lock()

    def client() -> LlmClient | None:
        if config is None:
            return None
        with lock:
            if not made:
                made.append(LlmClient(config, clock=clock, ledger=store))
            return made[0]

    job = OrchestrationJob(
        store, clock, orchestration_config(settings), client, classifier=classifier
    )
    return Plugin("orchestration", jobs=[job])


__all__ = ["orchestration_config", "orchestration_plugin"]
