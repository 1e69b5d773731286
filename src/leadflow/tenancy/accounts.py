"""Creating tenants, teams, agents and API keys, with every check a user needs to hear about
(named field, plain problem), and resolving a presented key to who is calling."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from leadflow.errors import InvalidInput, NotFound
from leadflow.model.tenancy import MEMBER_STATUSES, ROLES, Agent, ApiKey, Team, Tenant
from leadflow.store.contract_tenancy import TenancyStore
from leadflow.tenancy import keys

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_KEY_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a tenant, a role, and for managers and agents the agent (and team)."""

    tenant_id: str
    role: str
    key_id: str
    member_key: str | None = None
    team_key: str | None = None


def _text(value: str, field: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput(f"{field}: {value!r} is not {what}")
    return value


def _tenant(store: TenancyStore, tenant_id: str) -> Tenant:
    tenant = store.get_tenant(tenant_id)
    if tenant is None:
        raise NotFound(
            f"tenant: no tenant {tenant_id!r} (create it with `leadflow tenants create`)"
        )
    return tenant


def create_tenant(store: TenancyStore, tenant_id: str, name: str, now: float) -> Tenant:
    _text(tenant_id, "tenant", _SLUG, "a slug (lowercase letters, digits and '-', 1-64)")
    if not name.strip():
        raise InvalidInput("name: must not be empty")
    if store.get_tenant(tenant_id) is not None:
        raise InvalidInput(f"tenant: {tenant_id!r} exists already")
    store.create_tenant(Tenant(tenant_id, name.strip()), now)
    created = store.get_tenant(tenant_id)
    assert created is not None
    return created


def add_team(
    store: TenancyStore,
    tenant_id: str,
    team_key: str,
    name: str,
    now: float,
    lead_key: str | None = None,
) -> bool:
    _tenant(store, tenant_id)
    _text(team_key, "team", _KEY_TEXT, "a team key (letters, digits, '.', '_', ':', '@', '-')")
    if not name.strip():
        raise InvalidInput("name: must not be empty")
    return store.upsert_team(Team(tenant_id, team_key, name.strip(), lead_key), now)


def add_agents(
    store: TenancyStore, tenant_id: str, agents: Sequence[Agent], now: float
) -> tuple[int, int]:
    _tenant(store, tenant_id)
    teams = {t.team_key for t in store.list_teams(tenant_id)}
    for i, agent in enumerate(agents):
        where = f"agents[{i}]"
        if agent.tenant_id != tenant_id:
            raise InvalidInput(f"{where}.tenant: {agent.tenant_id!r} is not {tenant_id!r}")
        _text(agent.member_key, f"{where}.MemberKey", _KEY_TEXT, "a member key")
        if agent.team_key is not None and agent.team_key not in teams:
            raise InvalidInput(f"{where}.TeamKey: no team {agent.team_key!r} in {tenant_id!r}")
        if agent.status not in MEMBER_STATUSES:
            raise InvalidInput(f"{where}.MemberStatus: must be one of {', '.join(MEMBER_STATUSES)}")
    return store.upsert_agents(agents, now)


def create_key(
    store: TenancyStore,
    tenant_id: str,
    role: str,
    now: float,
    member_key: str | None = None,
    name: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key; returns the stored record and the token (shown once, never stored)."""
    _tenant(store, tenant_id)
    if role not in ROLES:
        raise InvalidInput(f"role: must be one of {', '.join(ROLES)}, not {role!r}")
    if role in ("manager", "agent") and member_key is None:
        article = "an" if role == "agent" else "a"
        raise InvalidInput(f"agent: {article} {role} key needs its agent (--agent / member_key)")
    if member_key is not None:
        agent = store.get_agent(tenant_id, member_key)
        if agent is None:
            raise InvalidInput(f"agent: no agent {member_key!r} in tenant {tenant_id!r}")
        if agent.status != "Active":
            raise InvalidInput(f"agent: {member_key!r} is {agent.status}, not Active")
        if role == "manager" and agent.team_key is None:
            raise InvalidInput(f"agent: {member_key!r} is in no team; a manager key needs one")
    made = keys.new_key()
    record = ApiKey(made.id, tenant_id, role, keys.digest(made.secret), member_key, name)
    store.create_api_key(record, now)
    stored = store.get_api_key(made.id)
    assert stored is not None
    return stored, made.token


def authenticate(store: TenancyStore, token: str) -> Principal | None:
    """The caller behind a presented token, or None (unknown, malformed, revoked, or its agent
    no longer active). Never says which of those it was: callers answer 401 alike."""
    parsed = keys.parse(token)
    if parsed is None:
        return None
    key_id, secret = parsed
    record = store.get_api_key(key_id)
    if record is None or record.revoked_at is not None or not keys.matches(secret, record.digest):
        return None
    return _principal(store, record)


def principal_of_key(store: TenancyStore, key_id: str) -> Principal | None:
    """Who a key already verified (a signed-in session's) calls as now: None once the key is
    revoked or its agent is no longer active."""
    record = store.get_api_key(key_id)
    if record is None or record.revoked_at is not None:
        return None
    return _principal(store, record)


def _principal(store: TenancyStore, record: ApiKey) -> Principal | None:
    team_key = None
    if record.member_key is not None:
        agent = store.get_agent(record.tenant_id, record.member_key)
        if agent is None or agent.status != "Active":
            return None
        team_key = agent.team_key
    return Principal(record.tenant_id, record.role, record.id, record.member_key, team_key)


__all__ = [
    "Principal",
    "add_agents",
    "add_team",
    "authenticate",
    "create_key",
    "create_tenant",
    "principal_of_key",
]
