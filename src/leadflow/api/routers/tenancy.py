"""``/api/v1/tenants/current``, ``/api/v1/teams`` and ``/api/v1/agents``: the caller's
brokerage, its teams and its agents, named as RESO names them (Teams: TeamKey, TeamName,
TeamLeadKey; Member: MemberKey, MemberFirstName, ...), as the CLI's JSON and CSV do. Any key
sees its tenant; admins list and change teams and agents. A TeamKey or TeamLeadKey that is not
the tenant's own is refused, naming the field."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadflow.access import tenancy as service
from leadflow.api.data.shape import Time, when
from leadflow.api.deps import AccessDep
from leadflow.api.problems import problem_responses
from leadflow.api.routes import routed
from leadflow.model.tenancy import Agent, Team
from leadflow.tenancy.members import MEMBER_FIELDS

router = APIRouter(tags=["tenancy"])
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(max_length=200)]
KeyPath = Annotated[str, Path(min_length=1, max_length=128)]


class TenantOut(BaseModel):
    id: str
    name: str
    created_at: Time


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    TeamName: Name
    TeamLeadKey: Short | None = Field(default=None, description="An agent of the tenant.")


class TeamOut(TeamIn):
    TeamKey: str
    created_at: Time


class AgentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    MemberFirstName: Short | None = None
    MemberLastName: Short | None = None
    MemberEmail: Short | None = None
    MemberMobilePhone: Short | None = None
    MemberMlsId: Short | None = None
    OfficeKey: Short | None = None
    OfficeName: Short | None = None
    MemberStateLicense: Short | None = None
    MemberStatus: Literal["Active", "Inactive"] = "Active"
    TeamKey: Short | None = Field(default=None, description="A team of the tenant.")


class AgentRow(AgentIn):
    MemberKey: Name


class AgentOut(AgentRow):
    created_at: Time
    updated_at: Time


class AgentImport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[AgentRow] = Field(min_length=1, max_length=10_000)


class Saved(BaseModel):
    inserted: int
    updated: int


# RESO Member name -> Agent attribute (the CSV import's table), the key being the path's
FIELDS = {name: attr for name, attr in MEMBER_FIELDS.items() if name != "MemberKey"}


def _agent(tenant_id: str, member_key: str, body: AgentIn) -> Agent:
    values = {attr: getattr(body, name) for name, attr in FIELDS.items()}
    return Agent(tenant_id, member_key, **values)


def _agent_out(a: Agent) -> AgentOut:
    values = {name: getattr(a, attr) for name, attr in FIELDS.items()}
    return AgentOut(
        MemberKey=a.member_key,
        created_at=when(a.created_at),
        updated_at=when(a.updated_at),
        **values,
    )


def _team_out(t: Team) -> TeamOut:
    return TeamOut(
        TeamKey=t.team_key, TeamName=t.name, TeamLeadKey=t.lead_key, created_at=when(t.created_at)
    )


@router.get("/tenants/current", summary="The caller's tenant (brokerage)")
def current_tenant(access: AccessDep) -> TenantOut:
    found = service.current(access.runtime.store, access.principal)
    return TenantOut(id=found.id, name=found.name, created_at=when(found.created_at))


@routed(router.get, "/teams", "The tenant's teams (admins)", 403)
def list_teams(access: AccessDep) -> dict[str, list[TeamOut]]:
    return {"items": [_team_out(t) for t in service.teams(access.runtime.store, access.principal)]}


@router.put(
    "/teams/{team_key}",
    summary="Add a team or rename it (admins); 201 when it is new",
    status_code=201,
    responses={200: {"description": "An existing team, changed"}, **problem_responses(403)},
)
def put_team(access: AccessDep, team_key: KeyPath, body: TeamIn, response: Response) -> TeamOut:
    team = Team(access.principal.tenant_id, team_key, body.TeamName, body.TeamLeadKey)
    if not service.add_team(access.runtime.store, access.principal, team, access.now()):
        response.status_code = 200
    [saved] = [
        t for t in service.teams(access.runtime.store, access.principal) if t.team_key == team_key
    ]
    return _team_out(saved)


@routed(router.get, "/agents", "The tenant's agents (admins)", 403)
def list_agents(
    access: AccessDep,
    team: Annotated[str | None, Query(max_length=128, description="Only this team's.")] = None,
) -> dict[str, list[AgentOut]]:
    found = service.agents(access.runtime.store, access.principal, team)
    return {"items": [_agent_out(a) for a in found]}


@router.put(
    "/agents/{member_key}",
    summary="Add an agent or change one (admins); 201 when it is new",
    status_code=201,
    responses={200: {"description": "An existing agent, changed"}, **problem_responses(403)},
)
def put_agent(
    access: AccessDep, member_key: KeyPath, body: AgentIn, response: Response
) -> AgentOut:
    agent = _agent(access.principal.tenant_id, member_key, body)
    inserted, _ = service.add_agents(access.runtime.store, access.principal, [agent], access.now())
    if not inserted:
        response.status_code = 200
    [saved] = [
        a
        for a in service.agents(access.runtime.store, access.principal)
        if a.member_key == member_key
    ]
    return _agent_out(saved)


@routed(router.post, "/agents/import", "Add or change many agents, all or none (admins)", 403)
def import_agents(access: AccessDep, body: AgentImport) -> Saved:
    tenant = access.principal.tenant_id
    agents = [_agent(tenant, row.MemberKey, row) for row in body.items]
    inserted, updated = service.add_agents(
        access.runtime.store, access.principal, agents, access.now()
    )
    return Saved(inserted=inserted, updated=updated)
