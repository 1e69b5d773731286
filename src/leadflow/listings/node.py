"""The ``match_properties`` node: the best listings a lead was never sent, for the nodes after
it to show (``{% for m in context.matches %}{{ m.address }} {{ m.url }}{% endfor %}``).

Criteria are the contact's ``fields.criteria`` (the keys of :class:`MatchCriteria`) with the
gaps filled from criteria learned from its ``listing.viewed`` / ``listing.saved`` events. The
picks are recorded as sent (``Store.record_listing_matches``) under the step's idempotency key,
so a step executed again after a crash finds the same picks instead of new ones, and a later
visit of the node never picks them again. Only Active listings with IDX display permission are
ranked at all (:class:`~leadflow.listings.ranking.ListingIndex`).

With ``also_saved_weight`` above 0 (the default), the listings other leads of the tenant saved
or toured along with what this lead saved or toured count as one more criterion, ``also_saved``
(:mod:`leadflow.listings.collaborative`), whose sentence is in ``context.matches[].why``.

``steps.<node>.count`` holds how many were picked (0: nothing new fits), for a branch after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from leadflow.definitions import models as m
from leadflow.engine.context import Go, Result, StepContext
from leadflow.errors import InvalidInput, PermanentStepError
from leadflow.listings.parse import parse_criteria
from leadflow.model.listings import Listing, ListingFilter, ListingMatch

if TYPE_CHECKING:
    from leadflow.listings.cosaves_cache import CoSavesCache
    from leadflow.listings.ranking import Extra, ListingIndex, MatchCriteria
    from leadflow.store.contract import Store
    from leadflow.store.contract_listings import ListingStore

PAGE = 5000


def sendable_listings(store: ListingStore, tenant_id: str) -> list[Listing]:
    """The tenant's Active listings with IDX display permission, every page of them."""
    out: list[Listing] = []
    after: str | None = None
    while True:
        page = store.list_listings(
            ListingFilter(
                tenant_id, standard_status="Active", idx_only=True, after_key=after, limit=PAGE
            )
        )
        out.extend(page)
        if len(page) < PAGE:
            return out
        after = page[-1].listing_key


def stated_criteria(
    fields: dict[str, Any], tenant_cities: Iterable[str] = ()
) -> MatchCriteria | None:
    """The contact's own criteria (``fields.criteria``; free text may name the tenant's own
    towns, ``tenant_cities``, without a cue word); a bad value stops the step for good, naming
    the field."""
    from leadflow.listings.ranking import MatchCriteria  # numpy: with the first match

    raw = fields.get("criteria")
    if raw is None or raw == "":
        return None
    try:
        if isinstance(raw, str):  # what the lead said, e.g. "3 bed condo in Austin under 450k"
            return MatchCriteria.from_mapping(parse_criteria(raw, tenant_cities).model_dump())
        return MatchCriteria.from_mapping(raw)
    except InvalidInput as exc:
        raise PermanentStepError(
            f"match_properties: contact fields.criteria: {exc.message}"
        ) from exc
    except ValueError as exc:
        raise PermanentStepError(f"match_properties: contact fields.{exc}") from exc


class MatchPropertiesHandler:
    """Instant: picks, records and moves on to ``next``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cosaves: CoSavesCache | None = None

    def also_saved(
        self, index: ListingIndex, tenant_id: str, contact_id: str, weight: float, now: float
    ) -> tuple[Extra, ...]:
        """The ``also_saved`` criterion of the contact, if it has one (see the module)."""
        if weight <= 0:
            return ()
        from leadflow.listings.collaborative import also_saved
        from leadflow.listings.cosaves_cache import CoSavesCache

        if self._cosaves is None:
            self._cosaves = CoSavesCache(self.store)
        cosaves = self._cosaves.get(tenant_id, now)
        mine = cosaves.saved_by(contact_id)
        if not mine:
            return ()

        def address(key: str) -> str | None:
            at = index.position.get(key)
            found = index.listings[at] if at is not None else self.store.get_listing(tenant_id, key)
            return found.unparsed_address if found is not None else None

        found = also_saved(index, cosaves.similar(mine), weight, address)
        return () if found is None else (found,)

    def enter(self, ctx: StepContext, node: m.MatchProperties) -> Result:
        contact = ctx.run_contact("match_properties")
        from leadflow.listings.learned import learned_from_events, merged
        from leadflow.listings.ranking import ListingIndex

        tenant = contact.tenant_id
        listings = sendable_listings(self.store, tenant)
        towns = {x.city for x in listings if x.city}
        criteria = merged(
            stated_criteria(contact.fields, towns),
            learned_from_events(self.store, tenant, contact.id),
        )
        step_key = ctx.idempotency_key(node.id)
        sent = self.store.listing_matches(tenant, contact.id)
        index = ListingIndex(listings)
        extra = self.also_saved(index, tenant, contact.id, node.also_saved_weight, ctx.now)
        again = {x.listing_key for x in sent if x.step_key == step_key}
        if again:  # this step ran before (and crashed after recording): the same picks
            picks = index.top(
                criteria,
                len(again),
                exclude=[x.listing_key for x in sent if x.listing_key not in again],
                extra=extra,
            )
        else:
            picks = index.top(
                criteria,
                node.top,
                exclude=[x.listing_key for x in sent],
                min_score=node.min_score,
                extra=extra,
            )
            self.store.record_listing_matches(
                [
                    ListingMatch(
                        tenant, contact.id, p.listing.listing_key, p.score, step_key, ctx.now
                    )
                    for p in picks
                ]
            )
        ctx.context.setdefault("vars", {})["matches"] = [p.as_context() for p in picks]
        keys = [p.listing.listing_key for p in picks]
        ctx.remember(node.id, count=len(picks), listing_keys=keys)
        return Go(node.next, outcome="matched" if picks else "none", data={"listings": keys})

    def resume(self, ctx: StepContext, node: m.MatchProperties) -> Result:  # pragma: no cover
        return Go(node.next, outcome="resumed")


__all__ = ["MatchPropertiesHandler", "sendable_listings", "stated_criteria"]
