"""The CRM connectors' plugin: the ``crm`` node kind."""

from __future__ import annotations

from leadflow.engine.plugins import Plugin
from leadflow.integrations.node import CrmHandler
from leadflow.store.contract import Store


def integrations_plugin(store: Store) -> Plugin:
    return Plugin("integrations", handlers={"crm": CrmHandler(store)})


__all__ = ["integrations_plugin"]
