"""The service layer both front doors go through: the command line is an admin of the tenant
it names, callers are refused by one check, and another tenant's records are not found."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from leadflow.access import keys, listings, tenancy
from leadflow.access.paging import page_of
from leadflow.access.scope import actor, is_operator, operator
from leadflow.errors import Forbidden, NotFound
from leadflow.model.tenancy import Agent, Team
from leadflow.store.memory import MemoryStore
from leadflow.tenancy import accounts
from leadflow.tenancy.accounts import Principal

T0 = 1_700_000_000.0


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    s.upgrade()
    for tenant in ("acme", "beta"):
        accounts.create_tenant(s, tenant, tenant.title(), T0)
    accounts.add_agents(s, "acme", [Agent("acme", "a1")], T0)
    return s


def test_the_command_line_is_an_admin_of_the_tenant_it_names() -> None:
    cli = operator("acme")
    assert (cli.tenant_id, cli.role) == ("acme", "admin")
    assert is_operator(cli) and actor(cli).startswith("cli")
    key = Principal("acme", "admin", "0123456789abcdef")
    assert not is_operator(key) and actor(key) == "key:0123456789abcdef"


def test_one_check_refuses_a_role_in_the_same_words_at_both_doors(store: MemoryStore) -> None:
    agent = Principal("acme", "agent", "0123456789abcdef", "a1")
    with pytest.raises(Forbidden, match="listing keys needs an admin key; this key's role is"):
        keys.listed(store, agent)
    with pytest.raises(Forbidden, match="managing teams needs an admin key"):
        tenancy.add_team(store, agent, Team("acme", "north", "North"), T0)
    with pytest.raises(Forbidden, match="a agent key may read listings; writing needs admin"):
        listings.delete(store, agent, "L1")


def test_another_tenants_key_is_not_found_and_revoking_twice_says_so(store: MemoryStore) -> None:
    made, _ = keys.create(store, operator("beta"), "admin", T0)
    with pytest.raises(NotFound, match="no key"):
        keys.revoke(store, operator("acme"), made.id, T0)
    revoked, first = keys.revoke(store, operator("beta"), made.id, T0)
    assert first and revoked.revoked_at == T0
    assert keys.revoke(store, operator("beta"), made.id, T0 + 1)[1] is False


def test_teams_and_agents_are_the_named_tenants(store: MemoryStore) -> None:
    assert tenancy.add_team(store, operator("acme"), Team("acme", "north", "North"), T0)
    assert [t.team_key for t in tenancy.teams(store, operator("acme"))] == ["north"]
    assert tenancy.teams(store, operator("beta")) == []
    assert [a.member_key for a in tenancy.agents(store, operator("acme"))] == ["a1"]


@dataclass
class Flt:
    limit: int


def test_pages_read_one_more_to_know_whether_another_follows() -> None:
    rows = list(range(1, 8))

    def read(flt: Flt) -> list[int]:
        return rows[: flt.limit]

    assert page_of(read, Flt(3), str) == ([1, 2, 3], "3")
    assert page_of(read, Flt(7), str) == (rows, None)
    assert page_of(read, Flt(10), str) == (rows, None)
