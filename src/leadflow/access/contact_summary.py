"""A lead's summary, "what to know before I call", for a contact in the caller's scope (an
agent sees only its own leads; another tenant's lead is "not found"): written by the model
when one is configured, else extractive (see :mod:`leadflow.ai.summary`)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from leadflow.access.scope import visible_contact
from leadflow.ai.client import LlmClient, LlmConfig
from leadflow.ai.plugin import WorkerLedger
from leadflow.ai.summary import LeadSummary, summarize
from leadflow.model.records import Scope
from leadflow.scoring.recompute import score_contact

if TYPE_CHECKING:
    from leadflow.runtime import Runtime

_CLIENTS: dict[tuple[int, LlmConfig], LlmClient] = {}
_LOCK = threading.Lock()


def summary_client(rt: Runtime) -> LlmClient | None:
    """One model client per store and configuration (its cache and concurrency limit shared);
    its ledger tolerates a lead of tenant "default" that has no tenants row."""
    config = LlmConfig.from_settings(rt.settings)
    if config is None:
        return None
    with _LOCK:
        found = _CLIENTS.get((id(rt.store), config))
        ledger = found.ledger if found is not None else None
        if found is None or not isinstance(ledger, WorkerLedger) or ledger.store is not rt.store:
            found = LlmClient(config, clock=rt.clock, ledger=WorkerLedger(rt.store))
            _CLIENTS[(id(rt.store), config)] = found
        return found


def lead_summary(rt: Runtime, scope: Scope, contact_id: str, now: float) -> LeadSummary:
    contact = visible_contact(rt.store, scope, contact_id)
    score = score_contact(rt.store, contact, now).as_dict()
    return summarize(rt.store, contact, now, score, summary_client(rt))


__all__ = ["lead_summary", "summary_client"]
