"""Closed deals and the bulk reads analytics makes over runs' steps and messages."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence

from leadflow.model.deals import Deal, DealFilter
from leadflow.model.records import Message, Step
from leadflow.store.funnel_facts import FunnelCounts, Key, RunSelection
from leadflow.store.lead_facts import LeadCounts, LeadEvents, LeadSelection


class AnalyticsStore(abc.ABC):
    """The deals table and the analytics read side of the store contract."""

    @abc.abstractmethod
    def save_deals(self, deals: Sequence[Deal], now: float) -> tuple[int, int]:
        """Insert or replace deals by (tenant, deal_key), all in one transaction, in order;
        ``created_at`` is kept for existing deals, ``updated_at`` becomes ``now``. Returns
        (inserted, updated). StoreError (nothing written) for an empty key,
        an unknown side or a negative amount."""

    @abc.abstractmethod
    def get_deal(self, tenant_id: str, deal_key: str) -> Deal | None: ...

    @abc.abstractmethod
    def list_deals(self, flt: DealFilter) -> list[Deal]:
        """The tenant's deals passing the filter, by deal key, at most ``flt.limit``."""

    @abc.abstractmethod
    def delete_deal(self, tenant_id: str, deal_key: str) -> bool:
        """True when the deal existed (and is gone)."""

    @abc.abstractmethod
    def steps_of_runs(self, run_ids: Iterable[int]) -> list[Step]:
        """Every step of these runs, by run id then step id."""

    @abc.abstractmethod
    def messages_of_runs(self, run_ids: Iterable[int]) -> list[Message]:
        """Every message of these runs, by id."""

    @abc.abstractmethod
    def messages_of_contacts(self, contact_ids: Iterable[str]) -> list[Message]:
        """Every message to these contacts (of runs or not), by id."""

    def fold_run_facts(self, limit: int | None = None) -> int:
        """Bring the per-run summary the funnel and cohort grid count from up to date with the
        runs changed since (the SQL backends, migration 0220; a report does it first, and a
        periodic job in the background, about ``limit`` marks at a time); how many runs' rows
        were made again. The memory backend counts from its records and has nothing to do."""
        return 0

    @abc.abstractmethod
    def funnel_counts(
        self, sel: RunSelection, goals: Sequence[str], window_s: float
    ) -> FunnelCounts:
        """The size of every set of runs a funnel counts (:mod:`leadflow.store.funnel_facts`)
        over the selected runs, computed where the data is; ``goals``: the goal event types
        (none: no goal set), reached within ``window_s`` of a run's entry."""

    @abc.abstractmethod
    def funnel_contacts(
        self,
        sel: RunSelection,
        key: Key,
        goals: Sequence[str],
        window_s: float,
        after: str | None,
        limit: int,
    ) -> list[str]:
        """The contacts of the runs in the set ``key`` (as :meth:`funnel_counts` counts it),
        by id (code point order) after ``after``, at most ``limit``."""

    @abc.abstractmethod
    def cohort_counts(
        self,
        sel: RunSelection,
        goals: Sequence[str],
        limits: Sequence[float],
        spans: Sequence[float],
    ) -> list[tuple[int, int, int, int]]:
        """The selected runs counted by (UTC day of entry as days since 1970, lived, reached):
        ``lived`` how many of ``limits`` (:func:`~leadflow.store.funnel_facts.lived_limits`)
        the entry is at or before; ``reached`` the index of the first of the ascending
        ``spans`` within which the run's first goal event at or after its entry came
        (``len(spans)``: none). Rows (day, lived, reached, runs), sorted."""

    @abc.abstractmethod
    def lead_counts(self, sel: LeadSelection, kinds: LeadEvents) -> LeadCounts:
        """Speed to lead and appointments per owner over the selected leads, as
        :func:`leadflow.store.lead_facts.count_leads` counts them from the rows (the SQL
        backends count in the database and return only the per-owner counts)."""


def check_deal(deal: Deal) -> None:
    """Raise StoreError for a deal no backend stores (the same words on every backend)."""
    from leadflow.errors import StoreError
    from leadflow.model.deals import SIDES

    if not deal.deal_key:
        raise StoreError("deal_key: empty")
    if deal.side not in SIDES:
        raise StoreError(f"side: {deal.side!r} is not one of buy, sell")
    if deal.close_price < 0 or (deal.commission is not None and deal.commission < 0):
        raise StoreError("close_price/commission: negative")


__all__ = ["AnalyticsStore", "check_deal"]
