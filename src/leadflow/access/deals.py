"""A tenant's closed deals: read by any caller (an agent its own deals, a manager its team's),
written (stored, imported, deleted) by admins and managers. Every store call takes the caller's
tenant, so another tenant's deal is simply not found. Contacts and agents named by a deal must
be in the caller's scope and tenant; nothing is saved while any item is refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadflow.access.paging import page_of
from leadflow.access.scope import WRITE_ROLES, require_role, scope_of
from leadflow.analytics.deals import ParsedDeals, parse_deals, save_deals
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.deals import Deal, DealFilter
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal


def writer(principal: Principal) -> str:
    """The caller's tenant when it may write deals; Forbidden otherwise."""
    refusal = f"a {principal.role} key may read deals; writing needs admin or manager"
    return require_role(principal, WRITE_ROLES, "writing deals", refusal)


def page(store: Store, principal: Principal, flt: DealFilter) -> tuple[list[Deal], str | None]:
    """One page of the deals the caller may see, and the DealKey to go on after."""
    scope = scope_of(store, principal)
    flt.tenant_id = scope.tenant_id
    flt.agents = scope.owners
    return page_of(store.list_deals, flt, lambda d: d.deal_key)


def get(store: Store, principal: Principal, deal_key: str) -> Deal:
    found = store.get_deal(principal.tenant_id, deal_key)
    scope = scope_of(store, principal)
    if found is None or (scope.owners is not None and found.agent_key not in scope.owners):
        raise NotFound(f"no deal {deal_key!r}")
    return found


def check(
    store: Store, principal: Principal, rows: Sequence[tuple[Mapping[str, Any], str]]
) -> ParsedDeals:
    """Check rows (``where`` names each: ``line 4``, ``body.items[3]``) in the caller's scope."""
    writer(principal)
    return parse_deals(store, scope_of(store, principal), rows)


def import_rows(
    store: Store, principal: Principal, rows: Sequence[tuple[Mapping[str, Any], str]], now: float
) -> tuple[int, int]:
    """Save every row, or none: InvalidInput naming each refused row and field."""
    parsed = check(store, principal, rows)
    if parsed.rejected:
        raise InvalidInput(
            "; ".join(
                f"{r.where}{'.' if r.where.startswith('body') else ': '}{reason}"
                for r in parsed.rejected
                for reason in r.reasons
            )
        )
    return save_deals(store, parsed.deals, now)


def delete(store: Store, principal: Principal, deal_key: str) -> None:
    get(store, principal, deal_key)
    if not store.delete_deal(writer(principal), deal_key):
        raise NotFound(f"no deal {deal_key!r}")


__all__ = ["check", "delete", "get", "import_rows", "page", "writer"]
