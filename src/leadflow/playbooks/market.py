"""The ``market_report`` node: figures of the tenant's own listings in the contact's area.

The area is the contact's ZIP code (``fields.PostalCode``...), else its city. Figures: Active
listings, their median list price, new listings and price drops within ``period_days`` (a
drop: list price below the original list price), median days on market (the feed's
``DaysOnMarket`` when given, else days since the listing was first imported).
``context.market`` holds them; ``steps.<node>.count`` how many listings they rest on.
"""

from __future__ import annotations

from statistics import median
from typing import Any

from leadflow.definitions import models as m
from leadflow.engine.context import Go, Result, StepContext
from leadflow.model.listings import Listing, ListingFilter
from leadflow.playbooks.routing import CITY_FIELDS, ZIP_FIELDS, first_field
from leadflow.store.contract import Store

PAGE = 2000
DAY = 86400.0


def area_listings(
    store: Store, tenant: str, zip_code: str | None, city: str | None
) -> list[Listing]:
    if not zip_code and not city:
        return []
    out: list[Listing] = []
    after: str | None = None
    while True:
        q = ListingFilter(
            tenant,
            postal_code=zip_code,
            city=None if zip_code else city,
            after_key=after,
            limit=PAGE,
        )
        page = store.list_listings(q)
        out.extend(page)
        if len(page) < PAGE:
            return out
        after = page[-1].listing_key


def figures(listings: list[Listing], now: float, period_days: int) -> dict[str, Any]:
    since = now - period_days * DAY
    active = [x for x in listings if x.standard_status == "Active"]
    prices = [x.list_price for x in active if x.list_price]
    dom = []
    for x in active:
        given = x.extra.get("DaysOnMarket")
        if isinstance(given, int | float) and not isinstance(given, bool):
            dom.append(float(given))
        elif x.created_at:
            dom.append(max(0.0, (now - x.created_at) / DAY))
    drops = [
        x
        for x in active
        if x.list_price and x.original_list_price and x.list_price < x.original_list_price
    ]
    return {
        "active": len(active),
        "median_price": round(median(prices)) if prices else None,
        "new_listings": sum(1 for x in listings if x.created_at >= since),
        "median_days_on_market": round(median(dom)) if dom else None,
        "price_drops": len(drops),
        "period_days": period_days,
    }


class MarketReportHandler:
    def __init__(self, store: Store) -> None:
        self.store = store

    def enter(self, ctx: StepContext, node: m.MarketReport) -> Result:
        contact = ctx.contact
        fields = contact.fields if contact else {}
        zip_code, city = first_field(fields, ZIP_FIELDS), first_field(fields, CITY_FIELDS)
        found = area_listings(self.store, ctx.workflow.tenant_id, zip_code, city)
        report = figures(found, ctx.now, node.period_days)
        report["area"] = zip_code or city
        ctx.context.setdefault("vars", {})["market"] = report
        ctx.invalidate()
        ctx.remember(node.id, count=report["active"], area=report["area"])
        return Go(node.next, outcome="report" if report["active"] else "empty")

    def resume(self, ctx: StepContext, node: m.MarketReport) -> Result:  # pragma: no cover
        return Go(node.next, outcome="resumed")


__all__ = ["MarketReportHandler", "figures"]
