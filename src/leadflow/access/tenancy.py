"""Tenants, and a tenant's teams and agents (RESO Teams and Member). Tenants are the
installation's, made and listed by its operator; a tenant's teams and agents are managed by an
admin of that tenant."""

from __future__ import annotations

from collections.abc import Sequence

from leadflow.access.scope import ADMIN, require_role
from leadflow.errors import NotFound
from leadflow.model.tenancy import Agent, Team, Tenant
from leadflow.store.contract import Store
from leadflow.tenancy import accounts
from leadflow.tenancy.accounts import Principal


def create_tenant(store: Store, tenant_id: str, name: str, now: float) -> Tenant:
    return accounts.create_tenant(store, tenant_id, name, now)


def tenants(store: Store) -> list[Tenant]:
    return store.list_tenants()


def current(store: Store, principal: Principal) -> Tenant:
    """The caller's own tenant (any role)."""
    found = store.get_tenant(principal.tenant_id)
    if found is None:  # a key outlives no tenant; kept for the type
        raise NotFound("no such tenant")
    return found


def add_team(store: Store, principal: Principal, team: Team, now: float) -> bool:
    """Add a team of the caller's tenant, or rename it; True when it is new. Its lead
    (TeamLeadKey) is a member key of the same tenant (keys are per tenant), which may be added
    after the team: agents name their team, so a brokerage adds the team first."""
    tenant = require_role(principal, ADMIN, "managing teams")
    return accounts.add_team(store, tenant, team.team_key, team.name, now, team.lead_key)


def teams(store: Store, principal: Principal) -> list[Team]:
    return store.list_teams(require_role(principal, ADMIN, "listing teams"))


def add_agents(
    store: Store, principal: Principal, agents: Sequence[Agent], now: float
) -> tuple[int, int]:
    """Add or update agents, all or none: (inserted, updated)."""
    tenant = require_role(principal, ADMIN, "managing agents")
    return accounts.add_agents(store, tenant, agents, now)


def agents(store: Store, principal: Principal, team_key: str | None = None) -> list[Agent]:
    return store.list_agents(require_role(principal, ADMIN, "listing agents"), team_key)
