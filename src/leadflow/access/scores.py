"""A lead's transparent score, computed now with its tenant's configuration, for a contact in
the caller's scope (another tenant's lead is "not found")."""

from __future__ import annotations

from leadflow.access.scope import visible_contact
from leadflow.model.records import Contact, Scope
from leadflow.scoring.config import ScoringConfig, load_config
from leadflow.scoring.recompute import score_contact
from leadflow.scoring.rules import Score
from leadflow.store.contract import Store


def score(
    store: Store, scope: Scope, contact_id: str, now: float
) -> tuple[Contact, Score, ScoringConfig]:
    """(the contact, its score now, the configuration it was computed with)."""
    contact = visible_contact(store, scope, contact_id)
    config = load_config(store, contact.tenant_id)
    return contact, score_contact(store, contact, now, config), config
