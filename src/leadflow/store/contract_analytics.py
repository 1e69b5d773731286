"""Closed deals and the bulk reads analytics makes over runs' steps and messages."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence

from leadflow.model.deals import Deal, DealFilter
from leadflow.model.records import Message, Step


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
