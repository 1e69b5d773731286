"""Closed deals (RESO-style: ClosePrice, CloseDate, ListingKey, side, commission), one per
(tenant, deal key), linked to a contact and an agent. Money is integer cents."""

from __future__ import annotations

from dataclasses import dataclass

SIDES = ("buy", "sell")


@dataclass(slots=True)
class Deal:
    """One closed deal. ``close_price`` and ``commission`` are cents; ``closed_at`` is the close
    date at 00:00 UTC in epoch seconds; ``agent_key`` is the agent's RESO MemberKey."""

    tenant_id: str
    deal_key: str
    side: str
    close_price: int
    close_date: str
    closed_at: float
    contact_id: str | None = None
    agent_key: str | None = None
    listing_key: str | None = None
    commission: int | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    def value(self, basis: str = "price") -> int:
        """The cents a report counts for this deal: its ClosePrice, or its commission (0 when
        not given) with ``basis="commission"``."""
        return self.close_price if basis == "price" else (self.commission or 0)


@dataclass(slots=True)
class DealFilter:
    """A tenant's deals, optionally those of some agents (None: all), closed in [since, until),
    by deal key after ``after_key``, at most ``limit``."""

    tenant_id: str
    agents: frozenset[str] | None = None
    since: float | None = None
    until: float | None = None
    after_key: str | None = None
    limit: int = 1000


def money(cents: int) -> str:
    """Cents as an exact decimal string with two places ("450000.01", "-0.50")."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


DEAL_FIELDS = (
    "tenant_id",
    "deal_key",
    "side",
    "close_price",
    "close_date",
    "closed_at",
    "contact_id",
    "agent_key",
    "listing_key",
    "commission",
    "created_at",
    "updated_at",
)


def deal_matches(deal: Deal, flt: DealFilter) -> bool:
    """Whether the deal passes the filter (the memory backend's reading of the SQL)."""
    if deal.tenant_id != flt.tenant_id:
        return False
    if flt.agents is not None and deal.agent_key not in flt.agents:
        return False
    if flt.since is not None and deal.closed_at < flt.since:
        return False
    if flt.until is not None and deal.closed_at >= flt.until:
        return False
    return flt.after_key is None or deal.deal_key > flt.after_key


__all__ = ["DEAL_FIELDS", "SIDES", "Deal", "DealFilter", "deal_matches", "money"]
