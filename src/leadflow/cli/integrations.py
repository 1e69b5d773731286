"""``leadflow integrations set|show|remove|deliveries|operate|sync|sync-log``: a tenant's CRM
connectors (GoHighLevel ``ghl``, Follow Up Boss ``fub``), through the same operations as
``/api/v1/integrations``. The config (with its secrets) is read from a JSON file or stdin, so
no key is left in the shell's history; it is only ever printed masked."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from leadflow.access import integrations as service
from leadflow.access.scope import operator
from leadflow.cli.common import print_json, print_records, record_json, runtime
from leadflow.cli.options import DEFAULT, DbOption, JsonOption, TenantOption
from leadflow.clock import to_iso
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.records import DEFAULT_TENANT

app = typer.Typer(
    help="CRM connectors (GoHighLevel, Follow Up Boss): config, logs, operations, sync.",
    no_args_is_help=True,
)
CrmArg = Annotated[str, typer.Argument(help="ghl (GoHighLevel) or fub (Follow Up Boss).")]
ContactOption = Annotated[str, typer.Option("--contact", help="The contact's id.")]
DELIVERY_FIELDS = (
    "id operation contact_id status attempts http_status remote_id error key=idempotency_key "
    "calls updated_at"
)
SYNC_LOG_FIELDS = "contact_id field local=local_value remote=remote_value winner at"


def _json_of(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"{where}: not JSON ({exc})") from None


def _print_connector(shown: dict[str, Any]) -> None:
    times = {"created_at": to_iso(shown["created_at"]), "updated_at": to_iso(shown["updated_at"])}
    print_json(shown | times)


@app.command("set")
def set_connector(
    crm: CrmArg,
    config_file: Annotated[
        str, typer.Option("--config-file", help="A JSON file of the config, or - for stdin.")
    ],
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
) -> None:
    """Set (or replace) the tenant's connector; prints it with its secrets masked."""
    text = sys.stdin.read() if config_file == "-" else Path(config_file).read_text()
    config = _json_of(text, "--config-file")

    with runtime(db) as rt:
        if tenant != DEFAULT_TENANT and rt.store.get_tenant(tenant) is None:
            raise NotFound(
                f"--tenant: no tenant {tenant!r}; create it with `leadflow tenants create`"
            )
        shown = service.put_connector(rt.store, operator(tenant), crm, config, rt.clock.now())
    _print_connector(shown)


@app.command("show")
def show_connector(
    crm: CrmArg, tenant: TenantOption = DEFAULT_TENANT, db: DbOption = DEFAULT
) -> None:
    """The tenant's connector, secrets masked."""
    with runtime(db) as rt:
        shown = service.get_connector(rt.store, operator(tenant), crm)
    _print_connector(shown)


@app.command("remove")
def remove_connector(
    crm: CrmArg, tenant: TenantOption = DEFAULT_TENANT, db: DbOption = DEFAULT
) -> None:
    """Remove the tenant's connector (its logs stay)."""
    with runtime(db) as rt:
        service.delete_connector(rt.store, operator(tenant), crm)
    typer.echo(f"{crm} connector of {tenant} removed")


@app.command("deliveries")
def deliveries(
    crm: CrmArg,
    tenant: TenantOption = DEFAULT_TENANT,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """The delivery log: every change sent to the CRM, newest first."""
    print_records(
        db,
        tenant,
        lambda rt, who: service.deliveries(rt.store, who, crm, None, limit),
        DELIVERY_FIELDS,
        json_out,
        f"{crm} deliveries of {tenant}",
        "id operation contact=contact_id status attempts http=http_status crm_id=remote_id "
        "error updated=updated_at",
    )


@app.command("operate")
def operate(
    crm: CrmArg,
    contact: ContactOption,
    operation: Annotated[
        str,
        typer.Option(help="upsert_contact, add_note, add_tag, create_task or move_stage."),
    ],
    key: Annotated[str, typer.Option("--key", help="Names the change: the same key, once.")],
    params: Annotated[
        str, typer.Option(help='The parameters as JSON, e.g. {"body": "hi"}.')
    ] = "{}",
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
) -> None:
    """Make one change in the CRM for a contact of the tenant (once per --key)."""
    given = _json_of(params, "--params")
    with runtime(db) as rt:
        link = service.link_of(rt.store, rt.clock)
        done = service.operate(link, operator(tenant), crm, operation, contact, given, key)
    print_json(record_json(done, "id status attempts remote_id error"))
    if done.status != "done":
        raise typer.Exit(1)


@app.command("sync")
def sync(
    crm: CrmArg,
    contact: ContactOption,
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
) -> None:
    """Sync one contact with the CRM (per field: the newer change wins; logged)."""
    with runtime(db) as rt:
        link = service.link_of(rt.store, rt.clock)
        result = service.sync(link, operator(tenant), crm, contact)
    print_json(record_json(result, "contact_id remote_id pushed pulled"))


@app.command("sync-log")
def sync_log(
    crm: CrmArg,
    contact: Annotated[str | None, typer.Option("--contact", help="Only this contact.")] = None,
    tenant: TenantOption = DEFAULT_TENANT,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """The contact sync's decisions (field, both values, winner), newest first."""
    print_records(
        db,
        tenant,
        lambda rt, who: service.sync_log(rt.store, who, crm, contact, limit),
        SYNC_LOG_FIELDS,
        json_out,
        f"{crm} sync log of {tenant}",
        "contact=contact_id field local remote winner at",
    )
