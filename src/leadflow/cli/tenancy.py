"""``leadflow tenants|teams|agents|keys``: brokerages, their teams and agents, and API keys."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from leadflow.access import keys, tenancy
from leadflow.access.scope import operator
from leadflow.cli.common import console, print_dicts, print_json, record_json, runtime
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.errors import InvalidInput
from leadflow.model.tenancy import ApiKey, Team
from leadflow.tenancy.members import agents_from_csv

tenants_app = typer.Typer(help="Tenants (brokerages).", no_args_is_help=True)
teams_app = typer.Typer(help="A tenant's teams (RESO Teams).", no_args_is_help=True)
agents_app = typer.Typer(help="A tenant's agents (RESO Member).", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)

TenantOption = Annotated[str, typer.Option("--tenant", help="The tenant's id (slug).")]
TENANT_FIELDS = "id name created_at"
AGENT_FIELDS = (
    "MemberKey=member_key MemberFirstName=first_name MemberLastName=last_name "
    "MemberEmail=email TeamKey=team_key MemberStatus=status"
)


@tenants_app.command("create")
def tenants_create(
    tenant_id: Annotated[str, typer.Argument(help="A slug: lowercase letters, digits, '-'.")],
    name: Annotated[str, typer.Option(help="The brokerage's name.")],
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Create a tenant."""
    with runtime(db) as rt:
        tenant = tenancy.create_tenant(rt.store, tenant_id, name, rt.clock.now())
    if json_out:
        print_json(record_json(tenant, TENANT_FIELDS))
    else:
        console.print(f"tenant {tenant.id} created ({tenant.name})", highlight=False)


@tenants_app.command("list")
def tenants_list(db: DbOption = DEFAULT, json_out: JsonOption = False) -> None:
    """Every tenant."""
    with runtime(db) as rt:
        found = tenancy.tenants(rt.store)
    rows = [record_json(t, TENANT_FIELDS) for t in found]
    print_dicts(rows, json_out, "tenants", ["id", "name", "created"])


@teams_app.command("add")
def teams_add(
    team_key: Annotated[str, typer.Argument(help="TeamKey.")],
    tenant: TenantOption,
    name: Annotated[str, typer.Option(help="TeamName.")],
    lead: Annotated[str | None, typer.Option(help="TeamLeadKey (a MemberKey).")] = None,
    db: DbOption = DEFAULT,
) -> None:
    """Add a team, or rename it."""
    with runtime(db) as rt:
        team = Team(tenant, team_key, name, lead)
        new = tenancy.add_team(rt.store, operator(tenant), team, rt.clock.now())
    console.print(f"team {team_key} {'added' if new else 'updated'} in {tenant}", highlight=False)


@teams_app.command("list")
def teams_list(tenant: TenantOption, db: DbOption = DEFAULT, json_out: JsonOption = False) -> None:
    """A tenant's teams."""
    with runtime(db) as rt:
        found = tenancy.teams(rt.store, operator(tenant))
    rows = [record_json(t, "team_key name lead_key") for t in found]
    print_dicts(rows, json_out, f"teams of {tenant}", ["TeamKey", "TeamName", "TeamLeadKey"])


@agents_app.command("import")
def agents_import(
    file: Annotated[Path, typer.Argument(help="CSV with RESO Member column names.")],
    tenant: TenantOption,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Add or update agents from a CSV (MemberKey, MemberFirstName, MemberLastName, MemberEmail,
    MemberMobilePhone, MemberMlsId, OfficeKey, OfficeName, MemberStateLicense, MemberStatus,
    TeamKey). All rows or none."""
    if not file.is_file():
        raise InvalidInput(f"FILE: {file} does not exist")
    with file.open(newline="", encoding="utf-8-sig") as fh:
        agents = agents_from_csv(csv.DictReader(fh), tenant)
    with runtime(db) as rt:
        inserted, updated = tenancy.add_agents(rt.store, operator(tenant), agents, rt.clock.now())
    if json_out:
        print_json({"inserted": inserted, "updated": updated})
    else:
        console.print(f"agents: {inserted} added, {updated} updated in {tenant}", highlight=False)


@agents_app.command("list")
def agents_list(
    tenant: TenantOption,
    team: Annotated[str | None, typer.Option(help="Only this team's agents.")] = None,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """A tenant's agents."""
    with runtime(db) as rt:
        found = tenancy.agents(rt.store, operator(tenant), team)
    rows = [record_json(a, AGENT_FIELDS) for a in found]
    print_dicts(rows, json_out, f"agents of {tenant}", empty="MemberKey")


def _key_row(k: ApiKey) -> dict[str, str | None]:
    return record_json(k, "id role agent=member_key name created_at revoked_at")


@keys_app.command("create")
def keys_create(
    tenant: TenantOption,
    role: Annotated[str, typer.Option(help="admin (the whole tenant), manager (a team), agent.")],
    agent: Annotated[
        str | None, typer.Option(help="MemberKey of the agent (managers: their team).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label, e.g. where the key is used.")] = None,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Create an API key. The key is printed once and never stored: copy it now."""
    with runtime(db) as rt:
        now = rt.clock.now()
        record, token = keys.create(
            rt.store, operator(tenant), role, now, member_key=agent, name=name
        )
    if json_out:
        print_json({**_key_row(record), "key": token})
        return
    console.print(
        f"API key {record.id} ({record.role}) created for {tenant}. It is shown only now:",
        highlight=False,
    )
    console.print(token, highlight=False, markup=False)


@keys_app.command("list")
def keys_list(tenant: TenantOption, db: DbOption = DEFAULT, json_out: JsonOption = False) -> None:
    """A tenant's keys (ids and roles; the keys themselves are never stored)."""
    with runtime(db) as rt:
        rows = [_key_row(k) for k in keys.listed(rt.store, operator(tenant))]
    headers = ["id", "role", "agent", "name", "created", "revoked"]
    print_dicts(rows, json_out, f"API keys of {tenant}", headers)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (from `keys list`).")],
    db: DbOption = DEFAULT,
) -> None:
    """Revoke a key at once: requests with it are refused from now on."""
    with runtime(db) as rt:
        record = rt.store.get_api_key(key_id)
        if record is None:
            raise InvalidInput(f"KEY_ID: no API key {key_id!r}")
        _, revoked = keys.revoke(rt.store, operator(record.tenant_id), key_id, rt.clock.now())
    if revoked:
        console.print(f"API key {key_id} revoked", highlight=False)
    else:
        console.print(f"API key {key_id} was already revoked", highlight=False)
