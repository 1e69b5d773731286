"""Tenancy records: a tenant (brokerage) has teams and agents (RESO Member); API keys belong to
a tenant and carry a role."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "manager", "agent")
MEMBER_STATUSES = ("Active", "Inactive")


@dataclass(slots=True)
class Tenant:
    id: str
    name: str
    created_at: float = 0.0


@dataclass(slots=True)
class Team:
    """RESO Teams: TeamKey, TeamName, TeamLeadKey."""

    tenant_id: str
    team_key: str
    name: str
    lead_key: str | None = None
    created_at: float = 0.0


@dataclass(slots=True)
class Agent:
    """RESO Member: MemberKey, MemberFirstName, MemberLastName, MemberEmail, MemberMobilePhone,
    MemberMlsId, OfficeKey, OfficeName, MemberStateLicense, MemberStatus."""

    tenant_id: str
    member_key: str
    team_key: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    mobile_phone: str | None = None
    mls_id: str | None = None
    office_key: str | None = None
    office_name: str | None = None
    state_license: str | None = None
    status: str = "Active"
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(slots=True)
class ApiKey:
    """A stored API key: the public id and a digest of the secret, never the secret itself."""

    id: str
    tenant_id: str
    role: str
    digest: str
    member_key: str | None = None
    name: str | None = None
    created_at: float = 0.0
    revoked_at: float | None = None


TENANT_COLS = "id, name, created_at"
TEAM_COLS = "tenant_id, team_key, name, lead_key, created_at"
AGENT_COLS = (
    "tenant_id, member_key, team_key, first_name, last_name, email, mobile_phone, mls_id, "
    "office_key, office_name, state_license, status, created_at, updated_at"
)
KEY_COLS = "id, tenant_id, role, digest, member_key, name, created_at, revoked_at"
