"""A lead's summary, "what to know before I call", for a contact in the caller's scope (an
agent sees only its own leads; another tenant's lead is "not found"): written by the model
when one is configured, else extractive (see :mod:`leadflow.ai.summary`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadflow.access.automation import client_for
from leadflow.access.scope import visible_contact
from leadflow.ai.summary import LeadSummary, summarize
from leadflow.model.records import Scope
from leadflow.scoring.recompute import score_contact

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


def lead_summary(rt: Runtime, scope: Scope, contact_id: str, now: float) -> LeadSummary:
    contact = visible_contact(rt.store, scope, contact_id)
    score = score_contact(rt.store, contact, now).as_dict()
    return summarize(rt.store, contact, now, score, client_for(rt))


__all__ = ["lead_summary"]
