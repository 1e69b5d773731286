"""The collaborative "also saved" criterion: leads who saved or toured X also saved Y.

Counted among the leads of ONE tenant only (:class:`CoSaves` is built per tenant): a listing
Y's similarity to a listing X is the cosine of the sets of leads who saved or toured them
(``listing.saved``, ``open_house.visited``: :data:`SIGNAL_EVENTS`),

    sim(X, Y) = |leads(X) & leads(Y)| / sqrt(|leads(X)| * |leads(Y)|),

counted only when at least ``min_support`` leads did both (:data:`MIN_SUPPORT`: one co-save is
chance, not taste). For a lead, a candidate Y scores the strongest similarity to any listing the
lead saved or toured, and that listing explains it: "leads who saved 12 Oak St also saved this
(7 leads)". In the ranking it is one more criterion (``also_saved``, :func:`also_saved`): its
fit is the similarity over the best candidate's, so the best co-saved listing gets the full
weight. A lead who saved nothing -- or whose saves no other lead shares enough -- gets no such
criterion at all and is ranked exactly as on content alone.

Each lead counts with its :data:`RECENT` most recent saves and tours.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain

import numpy as np

from leadflow.definitions.models import MatchProperties
from leadflow.listings.ranking import Extra, ListingIndex

SIGNAL_EVENTS = ("listing.saved", "open_house.visited")
NAME = "also_saved"
MIN_SUPPORT = 2
# the node's default (``also_saved_weight``), tuned by bench/collab_eval.py
DEFAULT_WEIGHT = float(MatchProperties.model_fields["also_saved_weight"].default)
RECENT = 50


@dataclass(frozen=True, slots=True)
class AlsoSaved:
    """Why a listing is similar to what a lead saved: the ``similarity`` (cosine) to the lead's
    listing ``because``, which ``leads`` other leads saved or toured with it."""

    similarity: float
    because: str
    leads: int


class CoSaves:
    """Who saved or toured what, among the leads of one tenant."""

    def __init__(self, recent: int = RECENT) -> None:
        self.recent = recent
        self._items: dict[str, dict[str, None]] = {}  # contact -> listing keys, oldest first
        self._leads: dict[str, set[str]] = {}  # listing key -> contacts

    def add(self, contact: str, listing_key: str) -> None:
        """A save or tour (the latest, in time); a contact's oldest beyond ``recent`` drops."""
        items = self._items.setdefault(contact, {})
        items.pop(listing_key, None)
        items[listing_key] = None
        self._leads.setdefault(listing_key, set()).add(contact)
        while len(items) > self.recent:
            oldest = next(iter(items))
            del items[oldest]
            self._drop(oldest, contact)

    def _drop(self, listing_key: str, contact: str) -> None:
        leads = self._leads.get(listing_key)
        if leads is not None:
            leads.discard(contact)
            if not leads:
                del self._leads[listing_key]

    def saved_by(self, contact: str) -> list[str]:
        """The contact's saved or toured listings counted, oldest first."""
        return list(self._items.get(contact, ()))

    def leads_of(self, listing_key: str) -> int:
        return len(self._leads.get(listing_key, ()))

    def __len__(self) -> int:
        """How many leads saved or toured anything."""
        return len(self._items)

    def similar(self, mine: Iterable[str], min_support: int = MIN_SUPPORT) -> dict[str, AlsoSaved]:
        """Every listing other leads saved or toured with one of ``mine`` (at least
        ``min_support`` of them), with its strongest similarity to one of ``mine`` (ties: more
        leads, then the earlier of ``mine``); ``mine`` themselves left out."""
        own = list(dict.fromkeys(mine))
        skip = set(own)
        floor = max(1, min_support)
        best: dict[str, AlsoSaved] = {}
        for x in own:
            savers = self._leads.get(x, ())
            # counted in C: every listing of every lead who saved x
            together = Counter(chain.from_iterable(map(self._items.__getitem__, savers)))
            for y, count in [(y, c) for y, c in together.items() if c >= floor]:
                if y in skip:
                    continue
                sim = count / math.sqrt(len(savers) * len(self._leads[y]))
                found = best.get(y)
                if found is None or (sim, count) > (found.similarity, found.leads):
                    best[y] = AlsoSaved(sim, x, count)
        return best


def also_saved(
    index: ListingIndex,
    similar: dict[str, AlsoSaved],
    weight: float,
    address: Callable[[str], str | None],
) -> Extra | None:
    """The ``also_saved`` criterion over ``index`` (None: weight 0 or no candidate of the
    index has a similar save), explained with ``address(listing_key)`` of the lead's listing
    (its key when the address is unknown)."""
    if weight <= 0:
        return None
    fit = np.zeros(len(index), dtype=np.float32)
    for key, found in similar.items():
        at = index.position.get(key)
        if at is not None:
            fit[at] = found.similarity
    top = float(fit.max()) if len(fit) else 0.0
    if top <= 0:
        return None
    fit /= np.float32(top)

    def explain(key: str) -> str | None:
        found = similar.get(key)
        if found is None:
            return None
        where = address(found.because) or found.because
        return f"leads who saved {where} also saved this ({found.leads} leads)"

    return Extra(NAME, weight, fit, explain)


__all__ = [
    "DEFAULT_WEIGHT",
    "MIN_SUPPORT",
    "NAME",
    "RECENT",
    "SIGNAL_EVENTS",
    "AlsoSaved",
    "CoSaves",
    "also_saved",
]
