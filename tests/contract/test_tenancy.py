"""Tenants, teams, agents (RESO Member) and API keys in every backend."""

from __future__ import annotations

import pytest

from leadflow.errors import StoreError
from leadflow.model.tenancy import Agent, ApiKey, Team, Tenant
from leadflow.store import Store
from support.records import T0


def _acme(store: Store) -> None:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.upsert_team(Team("acme", "north", "North"), T0)


def test_tenants(store: Store) -> None:
    assert store.list_tenants() == []
    store.create_tenant(Tenant("zeta", "Zeta Homes", created_at=123.0), T0)
    store.create_tenant(Tenant("acme", "Acme Realty"), T0 + 1)
    assert [t.id for t in store.list_tenants()] == ["acme", "zeta"]
    assert store.get_tenant("zeta") == Tenant("zeta", "Zeta Homes", T0)  # created_at = now
    assert store.get_tenant("nope") is None
    with pytest.raises(StoreError):
        store.create_tenant(Tenant("acme", "Again"), T0 + 2)
    assert store.get_tenant("acme") == Tenant("acme", "Acme Realty", T0 + 1)


def test_teams(store: Store) -> None:
    _acme(store)
    assert store.upsert_team(Team("acme", "south", "South", lead_key="a9"), T0 + 5) is True
    assert store.upsert_team(Team("acme", "north", "North Shore"), T0 + 9) is False
    teams = store.list_teams("acme")
    assert [(t.team_key, t.name, t.lead_key) for t in teams] == [
        ("north", "North Shore", None),
        ("south", "South", "a9"),
    ]
    assert teams[0].created_at == T0  # kept on update
    assert store.list_teams("other") == []
    with pytest.raises(StoreError):
        store.upsert_team(Team("ghost", "t", "T"), T0)


def test_agents_upsert_keeps_created_and_is_all_or_nothing(store: Store) -> None:
    _acme(store)
    ann = Agent("acme", "a1", team_key="north", first_name="Ann", email="ann@acme.test")
    bob = Agent("acme", "a2", first_name="Bob", status="Inactive")
    assert store.upsert_agents([ann, bob], T0) == (2, 0)
    ann2 = Agent("acme", "a1", team_key=None, first_name="Anne", mobile_phone="+14155550100")
    assert store.upsert_agents([ann2], T0 + 10) == (0, 1)
    got = store.get_agent("acme", "a1")
    assert got is not None
    assert (got.first_name, got.team_key, got.email, got.mobile_phone) == (
        "Anne",
        None,
        None,
        "+14155550100",
    )
    assert (got.created_at, got.updated_at) == (T0, T0 + 10)
    assert [a.member_key for a in store.list_agents("acme")] == ["a1", "a2"]
    store.upsert_agents([Agent("acme", "a3", team_key="north")], T0)
    assert [a.member_key for a in store.list_agents("acme", "north")] == ["a3"]
    # an unknown team fails the whole batch
    with pytest.raises(StoreError):
        store.upsert_agents([Agent("acme", "a4"), Agent("acme", "a5", team_key="nope")], T0)
    assert store.get_agent("acme", "a4") is None
    with pytest.raises(StoreError):
        store.upsert_agents([Agent("ghost", "x")], T0)
    assert store.get_agent("other", "a1") is None


def test_api_keys(store: Store) -> None:
    _acme(store)
    store.upsert_agents([Agent("acme", "a1", team_key="north")], T0)
    store.create_api_key(ApiKey("k2", "acme", "agent", "d2", member_key="a1"), T0 + 2)
    store.create_api_key(ApiKey("k1", "acme", "admin", "d1", name="crm"), T0 + 1)
    assert [k.id for k in store.list_api_keys("acme")] == ["k1", "k2"]
    k1 = store.get_api_key("k1")
    assert k1 == ApiKey("k1", "acme", "admin", "d1", None, "crm", T0 + 1, None)
    assert store.revoke_api_key("k1", T0 + 5) is True
    assert store.revoke_api_key("k1", T0 + 9) is False  # the first revocation time stays
    got = store.get_api_key("k1")
    assert got is not None and got.revoked_at == T0 + 5
    assert store.revoke_api_key("nope", T0) is False
    for bad in (
        ApiKey("k1", "acme", "admin", "x"),  # id taken
        ApiKey("k3", "ghost", "admin", "x"),  # no such tenant
        ApiKey("k4", "acme", "agent", "x", member_key="nobody"),  # no such agent
        ApiKey("k5", "acme", "owner", "x"),  # no such role
    ):
        with pytest.raises(StoreError):
            store.create_api_key(bad, T0)
    assert [k.id for k in store.list_api_keys("acme")] == ["k1", "k2"]
    assert store.list_api_keys("other") == []
