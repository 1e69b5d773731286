"""Listing events, from what an upsert changed (:class:`ListingChanges`):

* ``listing.created`` -- ``{tenant_id, listing_key, list_price, standard_status}``;
* ``listing.price_changed`` -- ``{tenant_id, listing_key, old_price, new_price}``;
* ``listing.status_changed`` -- ``{tenant_id, listing_key, old_status, new_status}``;

these three have no contact: they are history (``leadflow`` lists them with the other events)
and the facts a report reads, but a workflow trigger needs a contact, so they enrol nobody.
What a workflow triggers on is

* ``listing.matched`` -- one per contact whose stated criteria (``fields.criteria``) one or
  more of the upserted listings now fits with at least :data:`MATCH_SCORE` points (new
  listings, price drops, returns to Active): ``{tenant_id, count, listing_keys, matches}``,
  ``matches`` best first as in ``context.matches`` (listing_key, score, reasons, address,
  price, url) plus ``cause`` (created, price_dropped, status_changed). One event per contact
  and upsert, so a workflow it triggers sends one alert, not one per listing. Only listings
  that may be sent (Active, IDX display allowed) ever match.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from leadflow.model.listings import Listing, ListingChange, ListingChanges
from leadflow.model.records import ContactFilter, NewEvent, Scope

if TYPE_CHECKING:
    from leadflow.store.contract import Store

MATCH_SCORE = 80.0
_PAGE = 1000


def change_events(changes: ListingChanges, now: float) -> list[NewEvent]:
    """The contact-less events of an upsert, in the order of its listings."""
    out = []
    for c in changes.changes:
        base = {"tenant_id": c.tenant_id, "listing_key": c.listing_key}
        stem = f"{c.tenant_id}:{c.listing_key}:{now!r}"
        if c.new:
            out.append(NewEvent("listing.created", None, base, f"listing.created:{stem}", now))
        if c.price is not None:
            data = {**base, "old_price": c.price[0], "new_price": c.price[1]}
            key = f"listing.price_changed:{stem}:{c.price[1]!r}"
            out.append(NewEvent("listing.price_changed", None, data, key, now))
        if c.status is not None:
            data = {**base, "old_status": c.status[0], "new_status": c.status[1]}
            key = f"listing.status_changed:{stem}:{c.status[1]}"
            out.append(NewEvent("listing.status_changed", None, data, key, now))
    return out


def _cause(change: ListingChange) -> str | None:
    """Why a changed listing is worth matching again (None: it is not)."""
    if change.new:
        return "created"
    if change.status is not None and change.status[1] == "Active":
        return "status_changed"
    old, new = change.price or (None, None)
    if old is not None and new is not None and new < old:
        return "price_dropped"
    return None


def matched_events(
    store: Store, tenant_id: str, changes: Sequence[ListingChange], now: float
) -> list[NewEvent]:
    """``listing.matched`` events of one tenant's changed listings: one per contact with a
    listing scoring at least :data:`MATCH_SCORE` against its stated criteria."""
    from leadflow.listings.ranking import ListingIndex, MatchCriteria  # numpy, when needed

    causes = {c.listing_key: cause for c in changes if (cause := _cause(c)) is not None}
    found = [store.get_listing(tenant_id, key) for key in causes]
    index = ListingIndex(x for x in found if isinstance(x, Listing))
    if not len(index):
        return []
    out = []
    after: str | None = None
    while True:
        page = store.find_contacts(
            ContactFilter(scope=Scope(tenant_id), after_id=after, limit=_PAGE)
        )
        for contact in page:
            raw = contact.fields.get("criteria")
            try:
                criteria = MatchCriteria.from_mapping(raw) if isinstance(raw, dict) else None
            except ValueError:
                criteria = None  # the match_properties node reports bad criteria
            if criteria is None:
                continue
            picks = index.top(criteria, len(index), min_score=MATCH_SCORE)
            if not picks:
                continue
            matches = [{**p.as_context(), "cause": causes[p.listing.listing_key]} for p in picks]
            data = {
                "tenant_id": tenant_id,
                "count": len(matches),
                "listing_keys": [m["listing_key"] for m in matches],
                "matches": matches,
            }
            dedupe = f"listing.matched:{tenant_id}:{contact.id}:{now!r}"
            out.append(NewEvent("listing.matched", contact.id, data, dedupe, now))
        if len(page) < _PAGE:
            return out
        after = page[-1].id


def record_listing_events(store: Store, changes: ListingChanges, now: float) -> int:
    """Append the events of an upsert (see the module); how many were new."""
    events = change_events(changes, now)
    tenants = dict.fromkeys(c.tenant_id for c in changes.changes)
    for tenant_id in tenants:
        mine = [c for c in changes.changes if c.tenant_id == tenant_id]
        events += matched_events(store, tenant_id, mine, now)
    if not events:
        return 0
    return sum(1 for found in store.append_events(events, now) if found is not None)


__all__ = [
    "MATCH_SCORE",
    "change_events",
    "matched_events",
    "record_listing_events",
]
