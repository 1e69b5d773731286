"""Deals and the analytics reads in the memory backend (the same rules as the SQL backends,
the tenant foreign key included)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from leadflow.model.deals import Deal, DealFilter, deal_matches
from leadflow.model.records import Contact, ContactFilter, Message, MessageFilter, Step
from leadflow.store.contract_analytics import AnalyticsStore, check_deal
from leadflow.store.funnel_memory import MemoryFunnel
from leadflow.store.lead_facts import LeadCounts, LeadEvents, LeadSelection, count_leads


class MemoryAnalytics(MemoryFunnel, AnalyticsStore):
    if TYPE_CHECKING:

        def run_steps(self, run_id: int) -> list[Step]: ...

        def messages_of_run(self, run_id: int) -> list[Message]: ...

        def list_messages(self, flt: MessageFilter) -> list[Message]: ...

        def find_contacts(self, flt: ContactFilter) -> list[Contact]: ...

    def _deals(self) -> dict[tuple[str, str], Deal]:
        return self._table("_deals_data", dict)

    def save_deals(self, deals: Sequence[Deal], now: float) -> tuple[int, int]:
        for deal in deals:
            check_deal(deal)
        with self._lock:
            stored = self._deals()
            inserted = updated = 0
            for deal in deals:
                key = (deal.tenant_id, deal.deal_key)
                old = stored.get(key)
                created = now if old is None else old.created_at
                stored[key] = replace(deal, created_at=created, updated_at=now)
                inserted += old is None
                updated += old is not None
            return inserted, updated

    def get_deal(self, tenant_id: str, deal_key: str) -> Deal | None:
        return self._copy_of(self._deals(), (tenant_id, deal_key), replace)

    def list_deals(self, flt: DealFilter) -> list[Deal]:
        with self._lock:
            found = [replace(d) for _, d in sorted(self._deals().items()) if deal_matches(d, flt)]
        return found[: max(0, flt.limit)]

    def delete_deal(self, tenant_id: str, deal_key: str) -> bool:
        with self._lock:
            return self._deals().pop((tenant_id, deal_key), None) is not None

    def steps_of_runs(self, run_ids: Iterable[int]) -> list[Step]:
        return [s for rid in sorted(set(run_ids)) for s in self.run_steps(rid)]

    def messages_of_runs(self, run_ids: Iterable[int]) -> list[Message]:
        found = [m for rid in set(run_ids) for m in self.messages_of_run(rid)]
        return sorted(found, key=lambda m: m.id or 0)

    def messages_of_contacts(self, contact_ids: Iterable[str]) -> list[Message]:
        found = [
            m
            for cid in set(contact_ids)
            for m in self.list_messages(MessageFilter(contact_id=cid, limit=1 << 62))
        ]
        return sorted(found, key=lambda m: m.id or 0)

    def lead_counts(self, sel: LeadSelection, kinds: LeadEvents) -> LeadCounts:
        return count_leads(self, sel, kinds)


__all__ = ["MemoryAnalytics"]
