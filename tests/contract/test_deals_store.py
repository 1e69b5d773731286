"""Closed deals in every backend: round trip, tenant isolation, filters, all or nothing; and
the bulk reads analytics makes (steps and messages of many runs, messages of many contacts)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from leadflow.errors import StoreError
from leadflow.model.deals import Deal, DealFilter
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support.records import T0


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def deal(key: str, tenant: str = "acme", **kw: object) -> Deal:
    kw.setdefault("side", "buy")
    kw.setdefault("close_price", 45_000_000)
    kw.setdefault("close_date", "2026-03-02")
    kw.setdefault("closed_at", 1_772_409_600.0)
    return Deal(tenant, key, **kw)  # type: ignore[arg-type]


def test_a_deal_round_trips_and_a_second_save_replaces_it(tenants: Store) -> None:
    full = deal(
        "D1",
        contact_id="c1",
        agent_key="M1",
        listing_key="L1",
        commission=1_350_000,
        side="sell",
        close_price=123_456_789_012,
    )
    assert tenants.save_deals([full], T0) == (1, 0)
    got = tenants.get_deal("acme", "D1")
    assert got == replace(full, created_at=T0, updated_at=T0)
    assert got is not None and got.close_price == 123_456_789_012 and got.commission == 1_350_000
    assert got.side == "sell" and got.agent_key == "M1" and got.created_at == T0
    assert tenants.save_deals([deal("D1", close_price=1)], T0 + 5) == (0, 1)
    again = tenants.get_deal("acme", "D1")
    assert again is not None and again.close_price == 1 and again.commission is None
    assert again.created_at == T0 and again.updated_at == T0 + 5
    assert tenants.get_deal("zeta", "D1") is None


def test_lists_filter_by_agent_and_close_time_and_page_by_key(tenants: Store) -> None:
    tenants.save_deals(
        [
            deal("D3", agent_key="M1", closed_at=300.0),
            deal("D1", agent_key="M2", closed_at=100.0),
            deal("D2", agent_key="M1", closed_at=200.0),
            deal("D9", tenant="zeta", agent_key="M1", closed_at=200.0),
        ],
        T0,
    )
    keys = lambda flt: [d.deal_key for d in tenants.list_deals(flt)]  # noqa: E731
    assert keys(DealFilter("acme")) == ["D1", "D2", "D3"]
    assert keys(DealFilter("acme", agents=frozenset({"M1"}))) == ["D2", "D3"]
    assert keys(DealFilter("acme", agents=frozenset())) == []
    assert keys(DealFilter("acme", since=200.0, until=300.0)) == ["D2"]
    assert keys(DealFilter("acme", after_key="D1", limit=1)) == ["D2"]
    assert keys(DealFilter("zeta")) == ["D9"]
    assert tenants.delete_deal("acme", "D1") and not tenants.delete_deal("acme", "D1")


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (deal("", close_price=1), "deal_key"),
        (deal("X", side="lease"), "side"),
        (deal("X", close_price=-1), "negative"),
    ],
)
def test_a_bad_deal_writes_nothing_of_its_batch(
    tenants: Store, bad: Deal, words: str | None
) -> None:
    with pytest.raises(StoreError, match=words):
        tenants.save_deals([deal("OK1"), bad], T0)
    assert tenants.list_deals(DealFilter("acme")) == []
