"""The listings feature's plugin: the ``match_properties`` node."""

from __future__ import annotations

from leadflow.engine.plugins import Plugin
from leadflow.listings.node import MatchPropertiesHandler
from leadflow.store.contract import Store


def listings_plugin(store: Store) -> Plugin:
    return Plugin("listings", handlers={"match_properties": MatchPropertiesHandler(store)})


__all__ = ["listings_plugin"]
