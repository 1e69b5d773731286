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

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

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


Ints = npt.NDArray[np.intp]
Sims = npt.NDArray[np.float64]


class Similar(Mapping[str, AlsoSaved]):
    """The listings similar to a lead's (:meth:`CoSaves.similar`), by listing key, held as
    arrays over the tenant's listing ids: ``best`` similarity (0: not similar), ``row`` (which of
    the lead's listings, ``own[row]``), ``count`` (leads who saved both)."""

    def __init__(
        self, cosaves: CoSaves, own: list[str], best: Sims, row: Ints, count: Ints
    ) -> None:
        self.cosaves, self.own = cosaves, own
        self.best, self.row, self.count = best, row, count

    def __getitem__(self, key: str) -> AlsoSaved:
        at = self.cosaves.id_of(key)
        if at is None or at >= len(self.best) or self.best[at] <= 0:
            raise KeyError(key)
        return AlsoSaved(float(self.best[at]), self.own[self.row[at]], int(self.count[at]))

    def __iter__(self) -> Iterator[str]:
        keys = self.cosaves.keys
        return (keys[i] for i in np.flatnonzero(self.best > 0).tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(self.best > 0))


class CoSaves:
    """Who saved or toured what, among the leads of one tenant. Listing keys get small integer
    ids in the order first seen (``keys``); how many leads saved each is an array, so a lead's
    similar listings are a few vector operations."""

    def __init__(self, recent: int = RECENT) -> None:
        self.recent = recent
        self.keys: list[str] = []  # listing id -> key
        self._ids: dict[str, int] = {}
        self._items: dict[str, dict[int, None]] = {}  # contact -> listing ids, oldest first
        self._leads: dict[int, set[str]] = {}  # listing id -> contacts
        self._n = np.zeros(64, dtype=np.float64)  # listing id -> how many leads
        self._positions: tuple[ListingIndex, Ints] | None = None

    def id_of(self, listing_key: str) -> int | None:
        return self._ids.get(listing_key)

    def add(self, contact: str, listing_key: str) -> None:
        """A save or tour (the latest, in time); a contact's oldest beyond ``recent`` drops."""
        at = self._ids.get(listing_key)
        if at is None:
            at = self._ids[listing_key] = len(self.keys)
            self.keys.append(listing_key)
            if at >= len(self._n):
                self._n = np.concatenate([self._n, np.zeros(len(self._n), dtype=np.float64)])
        items = self._items.setdefault(contact, {})
        items.pop(at, None)
        items[at] = None
        leads = self._leads.setdefault(at, set())
        if contact not in leads:
            leads.add(contact)
            self._n[at] += 1
        while len(items) > self.recent:
            oldest = next(iter(items))
            del items[oldest]
            self._leads[oldest].discard(contact)
            self._n[oldest] -= 1

    def saved_by(self, contact: str) -> list[str]:
        """The contact's saved or toured listings counted, oldest first."""
        return [self.keys[i] for i in self._items.get(contact, ())]

    def leads_of(self, listing_key: str) -> int:
        at = self._ids.get(listing_key)
        return 0 if at is None else int(self._n[at])

    def __len__(self) -> int:
        """How many leads saved or toured anything."""
        return len(self._items)

    def similar(self, mine: Iterable[str], min_support: int = MIN_SUPPORT) -> Similar:
        """Every listing other leads saved or toured with one of ``mine`` (at least
        ``min_support`` of them), with its strongest similarity to one of ``mine`` (ties: the
        earlier of ``mine``); ``mine`` themselves left out."""
        own = [k for k in dict.fromkeys(mine) if k in self._ids]
        size = len(self.keys)
        best = np.zeros(size, dtype=np.float64)
        row = np.zeros(size, dtype=np.intp)
        count = np.zeros(size, dtype=np.intp)
        floor = max(1, min_support)
        n = self._n[:size]
        for r, key in enumerate(own):
            x = self._ids[key]
            savers = self._leads.get(x, ())
            if not savers:
                continue
            # every listing of every lead who saved x, counted in C
            flat = np.fromiter(
                chain.from_iterable(map(self._items.__getitem__, savers)), dtype=np.intp
            )
            together = np.bincount(flat, minlength=size)
            sim = together / np.sqrt(n[x] * np.maximum(n, 1))
            sim[together < floor] = 0
            better = sim > best
            best[better], row[better], count[better] = sim[better], r, together[better]
        best[[self._ids[k] for k in own]] = 0
        return Similar(self, own, best, row, count)

    def positions(self, index: ListingIndex) -> Ints:
        """Each listing id's position in ``index`` (-1: not in it), kept for the last index."""
        held = self._positions
        if held is None or held[0] is not index:
            held = (index, np.empty(0, dtype=np.intp))
        done = held[1]
        if len(done) < len(self.keys):
            more = [index.position.get(k, -1) for k in self.keys[len(done) :]]
            done = np.concatenate([done, np.array(more, dtype=np.intp)])
        self._positions = (index, done)
        return done


def also_saved(
    index: ListingIndex,
    similar: Similar,
    weight: float,
    address: Callable[[str], str | None],
) -> Extra | None:
    """The ``also_saved`` criterion over ``index`` (None: weight 0 or no candidate of the
    index has a similar save), explained with ``address(listing_key)`` of the lead's listing
    (its key when the address is unknown)."""
    if weight <= 0:
        return None
    where = similar.cosaves.positions(index)[: len(similar.best)]
    hit = (where >= 0) & (similar.best > 0)
    if not hit.any():
        return None
    fit = np.zeros(len(index), dtype=np.float32)
    fit[where[hit]] = similar.best[hit]
    fit /= np.float32(fit.max())

    def explain(key: str) -> str | None:
        found = similar.get(key)
        if found is None:
            return None
        place = address(found.because) or found.because
        return f"leads who saved {place} also saved this ({found.leads} leads)"

    return Extra(NAME, weight, fit, explain)


__all__ = [
    "DEFAULT_WEIGHT",
    "MIN_SUPPORT",
    "NAME",
    "RECENT",
    "SIGNAL_EVENTS",
    "AlsoSaved",
    "CoSaves",
    "Similar",
    "also_saved",
]
