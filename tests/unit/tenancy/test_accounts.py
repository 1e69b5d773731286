"""API keys and who they let in: the key format, digests, and every way a key is refused."""

from __future__ import annotations

import pytest

from leadflow.errors import InvalidInput, NotFound
from leadflow.model.tenancy import Agent
from leadflow.store.memory import MemoryStore
from leadflow.tenancy import accounts, keys

T0 = 1_700_000_000.0


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    s.upgrade()
    accounts.create_tenant(s, "acme", "Acme Realty", T0)
    accounts.add_team(s, "acme", "north", "North", T0)
    accounts.add_agents(
        s,
        "acme",
        [
            Agent("acme", "a1", team_key="north"),
            Agent("acme", "a2"),
            Agent("acme", "gone", status="Inactive"),
        ],
        T0,
    )
    return s


def test_key_format_and_digest() -> None:
    made = keys.new_key()
    assert made.token.startswith(f"lf_{made.id}_") and len(made.id) == 16
    assert keys.parse(made.token) == (made.id, made.secret)
    assert keys.parse(f"  {made.token}\n") == (made.id, made.secret)
    assert keys.key_id_of(made.token) == made.id
    assert keys.matches(made.secret, keys.digest(made.secret))
    assert not keys.matches(made.secret + "x", keys.digest(made.secret))
    assert keys.digest(made.secret) != made.secret
    for bad in (
        "",
        "lf_",
        "Bearer " + made.token,
        made.token[:-1],
        made.token.replace("lf_", "xx_"),
    ):
        assert keys.parse(bad) is None
    assert keys.new_key().token != made.token


def test_the_token_is_not_stored(store: MemoryStore) -> None:
    record, token = accounts.create_key(store, "acme", "admin", T0)
    _, secret = keys.parse(token) or ("", "")
    assert secret and secret not in repr(store.get_api_key(record.id))
    assert record.digest == keys.digest(secret)


def test_authenticate(store: MemoryStore) -> None:
    admin, admin_token = accounts.create_key(store, "acme", "admin", T0, name="crm")
    _, manager_token = accounts.create_key(store, "acme", "manager", T0, member_key="a1")
    _, agent_token = accounts.create_key(store, "acme", "agent", T0, member_key="a2")
    assert accounts.authenticate(store, admin_token) == accounts.Principal(
        "acme", "admin", admin.id
    )
    manager = accounts.authenticate(store, manager_token)
    assert manager is not None and (manager.role, manager.member_key, manager.team_key) == (
        "manager",
        "a1",
        "north",
    )
    agent = accounts.authenticate(store, agent_token)
    assert agent is not None and (agent.role, agent.member_key, agent.team_key) == (
        "agent",
        "a2",
        None,
    )
    # refused: malformed, unknown id, wrong secret, revoked, agent no longer active
    key_id, secret = keys.parse(admin_token) or ("", "")
    assert accounts.authenticate(store, "not a key") is None
    assert accounts.authenticate(store, f"lf_{'0' * 16}_{secret}") is None
    assert accounts.authenticate(store, f"lf_{key_id}_{keys.new_key().secret}") is None
    store.revoke_api_key(key_id, T0 + 1)
    assert accounts.authenticate(store, admin_token) is None
    accounts.add_agents(store, "acme", [Agent("acme", "a2", status="Inactive")], T0 + 2)
    assert accounts.authenticate(store, agent_token) is None


def test_create_key_rules(store: MemoryStore) -> None:
    cases = [
        (("acme", "owner", None), InvalidInput, "role: must be one of admin, manager, agent"),
        (("acme", "agent", None), InvalidInput, "agent: an agent key needs its agent"),
        (("acme", "manager", "a2"), InvalidInput, "is in no team"),
        (("acme", "agent", "nobody"), InvalidInput, "no agent 'nobody'"),
        (("acme", "agent", "gone"), InvalidInput, "is Inactive"),
        (("other", "admin", None), NotFound, "no tenant 'other'"),
    ]
    for (tenant, role, member), error, text in cases:
        with pytest.raises(error) as caught:
            accounts.create_key(store, tenant, role, T0, member_key=member)
        assert text in caught.value.message
    assert store.list_api_keys("acme") == []


def test_tenant_team_and_agent_checks(store: MemoryStore) -> None:
    with pytest.raises(InvalidInput, match="tenant: 'Acme Inc' is not a slug"):
        accounts.create_tenant(store, "Acme Inc", "x", T0)
    with pytest.raises(InvalidInput, match="tenant: 'acme' exists already"):
        accounts.create_tenant(store, "acme", "x", T0)
    with pytest.raises(InvalidInput, match="name: must not be empty"):
        accounts.create_tenant(store, "new", "  ", T0)
    with pytest.raises(InvalidInput, match=r"agents\[1\].TeamKey: no team 'south'"):
        accounts.add_agents(
            store, "acme", [Agent("acme", "b1"), Agent("acme", "b2", team_key="south")], T0
        )
    with pytest.raises(InvalidInput, match=r"agents\[0\].MemberStatus"):
        accounts.add_agents(store, "acme", [Agent("acme", "b3", status="Retired")], T0)
    assert store.get_agent("acme", "b1") is None  # nothing half-written
