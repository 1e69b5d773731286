"""The analytics feature's plugin: a ``deal.closed`` event sent in (by a CRM, through the events
API) becomes a deal of its contact's tenant, so deals reach analytics whichever door they come
through. The event's data carries the deal's fields (DealKey, Side, ClosePrice; CloseDate
defaults to the day the event occurred, MemberKey to the contact's owner). What cannot be read
is noted on the event (``ignored``), never failing the batch. Events leadflow raised itself for
an imported deal are skipped.

Its periodic job (:class:`FunnelFold`) keeps the SQL backends' per-run funnel summary up to
date in the background -- hourly, on a worker pass that found no other work, so the fold never
takes the engine's time while leads wait -- and a report has few changed runs left to fold."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from leadflow.analytics.deals import DEAL_EVENT, ORIGIN, parse_deals
from leadflow.engine.plugins import Plugin
from leadflow.engine.ports import EventBatch
from leadflow.model.records import Event, Scope
from leadflow.store.contract import Store

log = logging.getLogger(__name__)


class DealEvents:
    """The event observer that records deals from ``deal.closed`` events."""

    event_types: frozenset[str] = frozenset({DEAL_EVENT})

    def observe(self, batch: EventBatch) -> None:
        mine = [
            e
            for e in batch.events
            if e.type == DEAL_EVENT and e.contact_id and e.data.get("origin") != ORIGIN
        ]
        if not mine:
            return
        try:
            self._record(batch, mine)
        except Exception:
            log.exception("deals of %d deal.closed events could not be recorded", len(mine))

    def _record(self, batch: EventBatch, events: list[Event]) -> None:
        notes: dict[int, str] = {}
        for event in events:
            contact = batch.contacts.get(event.contact_id or "")
            if contact is None:
                contact = batch.store.get_contact(event.contact_id or "")
            if contact is None or event.id is None:
                continue
            row: dict[str, Any] = {
                k: v
                for k, v in event.data.items()
                if k in ("DealKey", "MemberKey", "ListingKey", "Side", "ClosePrice", "CloseDate",
                         "Commission")
            }  # fmt: skip
            row["ContactKey"] = contact.id
            row.setdefault("MemberKey", contact.owner)
            day = dt.datetime.fromtimestamp(event.occurred_at, dt.UTC).date()
            row.setdefault("CloseDate", day.isoformat())
            parsed = parse_deals(batch.store, Scope(contact.tenant_id), [(row, "data")])
            if parsed.rejected:
                notes[event.id] = "; ".join(parsed.rejected[0].reasons)[:500]
                continue
            batch.store.save_deals(parsed.deals, batch.now)
        if notes:
            batch.store.note_events(notes)


class FunnelFold:
    """The periodic job folding the runs changed since into the funnel's per-run summary
    (:meth:`~leadflow.store.contract_analytics.AnalyticsStore.fold_run_facts`). Bookkeeping,
    not a feature's work: it counts 0 in the worker's job stats."""

    name = "funnel_fold"
    background = True  # on a pass with no leads waiting (or after 6 busy intervals)
    limit = 20_000  # marks per pass: after an upgrade marked every run, no pass is held long
    every_s = 3600.0  # a report folds what is left: exact whenever it runs
    backlog_every_s = 60.0  # while a fold took its whole limit, more are waiting

    def __init__(self, store: Store) -> None:
        self.store = store
        self.interval_s = self.every_s

    def run(self, now: float) -> int:
        try:
            folded = self.store.fold_run_facts(limit=self.limit)
        except Exception:  # a report folds what is left: never fail the worker's pass
            log.exception("the funnel summary could not be folded")
            folded = 0
        self.interval_s = self.backlog_every_s if folded >= self.limit else self.every_s
        return 0


def analytics_plugin(store: Store | None = None) -> Plugin:
    jobs = [FunnelFold(store)] if store is not None else []
    return Plugin("analytics", observers=[DealEvents()], jobs=jobs)


__all__ = ["DealEvents", "FunnelFold", "analytics_plugin"]
