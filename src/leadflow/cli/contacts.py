"""``leadflow contacts import|list``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from leadflow.cli.common import (
    DEFAULT,
    PAGE,
    DbOption,
    JsonOption,
    LimitOption,
    OffsetOption,
    TenantOption,
    console,
    err_console,
    fail,
    print_json,
    runtime,
)
from leadflow.clock import to_iso
from leadflow.contacts.importer import ImportResult, RejectedRow, parse_contacts_csv
from leadflow.model.records import DEFAULT_TENANT, Contact, NewEvent
from leadflow.store.contract import Store

app = typer.Typer(help="Contacts (leads): import and list.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV with RESO Contact column names.")],
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the valid rows even when some are rejected.")
    ] = False,
    emit: Annotated[
        str | None,
        typer.Option(help="Emit this event (e.g. lead.created) for every new contact."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Import contacts. Every rejected row is reported with its line and reason; unless
    --skip-invalid is given, nothing is imported when any row is rejected."""
    if not file.is_file():
        raise fail(f"FILE: {file} does not exist")
    with runtime(db) as rt:
        now = rt.clock.now()
        with file.open(newline="", encoding="utf-8-sig") as fh:
            result = parse_contacts_csv(fh, now=now)
        keep_in_tenant(rt.store, result, tenant)
        rejected = [{"line": r.line, "reason": r.reason} for r in result.rejected]
        if not json_out:
            for row in result.rejected:
                err_console.print(f"line {row.line}: {row.reason}", highlight=False, markup=False)
        if result.rejected and not skip_invalid:
            if json_out:
                print_json(
                    {
                        "inserted": 0,
                        "updated": 0,
                        "rejected": len(rejected),
                        "rejected_rows": rejected,
                    }
                )
            raise fail(
                f"{len(result.rejected)} row(s) rejected, nothing imported "
                "(fix them, or pass --skip-invalid)"
            )
        existing = rt.store.get_contacts([c.id for c in result.contacts])
        inserted, updated = rt.store.upsert_contacts(result.contacts, now)
        if emit:
            new = [c for c in result.contacts if c.id not in existing]
            rt.store.append_events(
                [
                    NewEvent(emit, c.id, {"source": "import"}, f"import:{emit}:{c.id}", now)
                    for c in new
                ],
                now,
            )
    summary = {"inserted": inserted, "updated": updated, "rejected": len(result.rejected)}
    if json_out:
        print_json(summary | {"rejected_rows": rejected})
    else:
        console.print(
            f"imported {inserted} new, {updated} updated, {len(result.rejected)} rejected"
        )


def keep_in_tenant(store: Store, result: ImportResult, tenant: str) -> None:
    """Put the parsed contacts in ``tenant``; a row whose ContactKey another tenant holds is
    rejected (an import never moves or overwrites another tenant's lead). Contact ids are one
    namespace for the installation, so the rejection says only that the key is in use: never
    whose it is."""
    taken = store.get_contacts([c.id for c in result.contacts])
    kept: list[Contact] = []
    for c, line in zip(result.contacts, result.lines, strict=True):
        other = taken.get(c.id)
        if other is not None and other.tenant_id != tenant:
            result.rejected.append(
                RejectedRow(line, f"ContactKey: {c.id!r} is already in use; choose another")
            )
        else:
            c.tenant_id = tenant
            kept.append(c)
    result.contacts = kept
    result.rejected.sort(key=lambda r: r.line)


def contact_json(c: Contact) -> dict[str, Any]:
    return c.as_dict() | {"created_at": to_iso(c.created_at), "updated_at": to_iso(c.updated_at)}


@app.command("list")
def list_(
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
    limit: LimitOption = PAGE,
    offset: OffsetOption = 0,
) -> None:
    """List contacts by id."""
    with runtime(db) as rt:
        found = rt.store.list_contacts(limit=limit, offset=offset)
    if json_out:
        print_json([contact_json(c) for c in found])
        return
    from leadflow.cli.common import table

    table(
        f"contacts ({len(found)})",
        ["id", "name", "phone", "email", "time zone", "state", "stage", "tags"],
        [
            [
                c.id,
                " ".join(p for p in (c.first_name, c.last_name) if p),
                c.phone,
                c.email,
                c.time_zone,
                c.state,
                c.stage,
                ",".join(c.tags),
            ]
            for c in found
        ],
    )
