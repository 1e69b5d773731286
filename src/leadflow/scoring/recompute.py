"""Recomputing a contact's score, storing it, and recording band crossings.

The score lives on the contact (``fields.score``, ``fields.score_band``, ``fields.score_at``),
so conditions and templates read it like any other field and it is stored by every backend.
When a recomputed score lands in another band than the stored one, a ``lead.score_changed``
event (data: ``old``, ``new``, ``old_band``, ``new_band``, ``factors``) is recorded for the
contact, so workflows can trigger on it. A contact never scored before counts as being in the
lowest band, so a first score in that band records nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from leadflow.model.records import Contact, ContactPatch, Event, NewEvent
from leadflow.scoring.config import ScoringConfig, load_config
from leadflow.scoring.rules import SCORED_EVENTS, Score, compute_score
from leadflow.store.contract import CoreStore

log = logging.getLogger(__name__)

SCORE_CHANGED = "lead.score_changed"


@dataclass(frozen=True, slots=True)
class Rescore:
    """A recomputed score and what storing it takes: the contact patch (None when the stored
    score is already this one) and the band-crossing event (None when the band is the same)."""

    score: Score
    patch: ContactPatch | None
    event: NewEvent | None


def contact_events(store: CoreStore, contact_id: str) -> list[Event]:
    """Every stored event of the contact, oldest first."""
    return store.every_event_of(contact_id)


def score_contact(
    store: CoreStore, contact: Contact, now: float, config: ScoringConfig | None = None
) -> Score:
    """The contact's score at ``now`` (under its tenant's configuration unless given)."""
    config = config or load_config(store, contact.tenant_id)
    return compute_score(contact, contact_events(store, contact.id), config, now)


def rescore(score: Score, contact: Contact, config: ScoringConfig) -> Rescore:
    """What storing ``score`` on ``contact`` takes.

    The crossing's dedupe key names the stored state it starts from (band and ``score_at``) and
    the new band: a recomputation repeated from the same stored state -- a retry after the
    crossing was recorded but the score not written, or two workers scoring the contact at
    once -- records the crossing once."""
    new = round(score.score, 2)
    old = contact.fields.get("score")
    old_band = contact.fields.get("score_band")
    if not isinstance(old_band, str):
        old_band = config.bands[0][0]
    patch = None
    if old != new or contact.fields.get("score_band") != score.band:
        patch = ContactPatch(
            contact.id, set={"score": new, "score_band": score.band, "score_at": score.computed_at}
        )
    event = None
    if old_band != score.band:
        event = NewEvent(
            SCORE_CHANGED,
            contact.id,
            {
                "old": old if isinstance(old, int | float) else None,
                "new": new,
                "old_band": old_band,
                "new_band": score.band,
                "factors": [f.as_dict() for f in score.factors],
            },
            f"{SCORE_CHANGED}:{contact.id}:{old_band}@{contact.fields.get('score_at')}"
            f":{score.band}",
            score.computed_at,
        )
    return Rescore(score, patch, event)


def rescore_for_events(store: CoreStore, events: Sequence[Event], now: float) -> int:
    """Recompute the score of every contact with a scored event among ``events``; store the new
    scores and record band crossings. Returns how many crossings were recorded."""
    ids = {e.contact_id for e in events if e.contact_id and e.type in SCORED_EVENTS}
    if not ids:
        return 0
    contacts = store.get_contacts(ids)
    configs: dict[str, ScoringConfig] = {}
    patches: list[ContactPatch] = []
    crossings: list[NewEvent] = []
    for contact in _in_order(contacts.values()):
        config = configs.get(contact.tenant_id)
        if config is None:
            config = configs[contact.tenant_id] = load_config(store, contact.tenant_id)
        result = rescore(score_contact(store, contact, now, config), contact, config)
        if result.patch is not None:
            patches.append(result.patch)
        if result.event is not None:
            crossings.append(result.event)
    # The crossing first: were the patch written and the crossing lost, a retry would find the
    # new band stored and never record it. Its dedupe key makes the retry harmless.
    recorded = [i for i in store.append_events(crossings, now) if i is not None]
    if patches:
        store.apply_contact_patches(patches, now)
    return len(recorded)


def _in_order(contacts: Iterable[Contact]) -> list[Contact]:
    return sorted(contacts, key=lambda c: c.id)
