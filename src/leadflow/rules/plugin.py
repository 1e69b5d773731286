"""The rules feature's plugin: the built-in action kinds and the observer the workers
evaluate rules with. It takes the engine's registry (for the action kinds other plugins add)
and catalog (for ``enroll``), so the wiring installs it after the other features."""

from __future__ import annotations

from leadflow.engine.catalog import Catalog
from leadflow.engine.plugins import Plugin, Registry
from leadflow.rules.actions import builtin_actions
from leadflow.rules.observer import RulesObserver
from leadflow.store.contract import Store


def rules_plugin(store: Store, registry: Registry, catalog: Catalog) -> Plugin:
    return Plugin(
        "rules",
        observers=[RulesObserver(store, registry)],
        rule_actions=builtin_actions(store, catalog),
    )


__all__ = ["rules_plugin"]
