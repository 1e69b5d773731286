"""The scoring feature's plugin: the ``score`` node, and lead scores recomputed for the contacts
of every batch of scored events (visits, listings, opens, clicks, replies), band crossings
recorded as ``lead.score_changed`` events."""

from __future__ import annotations

import logging

from leadflow.engine.plugins import Plugin
from leadflow.engine.ports import EventBatch
from leadflow.scoring.node import ScoreHandler
from leadflow.scoring.recompute import rescore_for_events
from leadflow.store.contract import Store

log = logging.getLogger(__name__)


class Rescoring:
    """The event observer: a failure is logged and never holds the batch up."""

    event_types: frozenset[str] = frozenset()  # reads its contacts itself

    def observe(self, batch: EventBatch) -> None:
        try:
            rescore_for_events(batch.store, batch.events, batch.now)
        except Exception:
            log.exception("lead scores of %d events could not be recomputed", len(batch.events))


def scoring_plugin(store: Store) -> Plugin:
    return Plugin("scoring", handlers={"score": ScoreHandler(store)}, observers=[Rescoring()])


__all__ = ["Rescoring", "scoring_plugin"]
