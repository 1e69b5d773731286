"""``leadflow contacts import|list|summary|erase``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from leadflow.access import contacts as access_contacts
from leadflow.access.scope import operator
from leadflow.cli.common import console, err_console, fail, print_json, runtime
from leadflow.cli.options import (
    DEFAULT,
    PAGE,
    DbOption,
    JsonOption,
    LimitOption,
    OffsetOption,
    TenantOption,
)
from leadflow.clock import to_iso
from leadflow.model.records import DEFAULT_TENANT, Contact

app = typer.Typer(help="Contacts (leads): import, list, summary and erase.", no_args_is_help=True)


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
    allow_custom_columns: Annotated[
        bool,
        typer.Option(
            help="Keep a column that looks like a known field but is none (Phone 2) as a "
            "custom field instead of refusing the file."
        ),
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Import contacts from a CSV with RESO Contact columns: ContactKey (without the column,
    keys are made: the lead with the same e-mail or phone, or a new one), FirstName, LastName,
    Email, MobilePhone (or HomePhone, WorkPhone), StateOrProvince, TimeZone,
    OwnerMemberKey, ContactStatus, Tags, SmsConsent, EmailConsent, VoiceConsent; common
    names are read too (First Name, Phone, Mobile, Cell, State, Zip, City, Owner...), any other
    column is a custom field. Each column is shown with what it was read as. Every rejected
    row is reported with its line and reason; unless --skip-invalid is given, nothing is
    imported when any row is rejected."""
    if not file.is_file():
        raise fail(f"FILE: {file} does not exist")
    with runtime(db) as rt, file.open(newline="", encoding="utf-8-sig") as fh:
        principal, now = operator(tenant), rt.clock.now()
        inserted = updated = 0
        read = access_contacts.read_keyed(rt.store, principal, fh, now, allow_custom_columns)
        written = not read.rejected or skip_invalid
        if written:
            inserted, updated = access_contacts.save_keyed(rt.store, principal, read, emit, now)
    rejected = [{"line": r.line, "reason": r.reason} for r in read.rejected]
    renamed = {given: used for given, used in read.columns.items() if given != used}
    if renamed and not json_out:  # what was read as another column, or kept as a custom field
        read_as = ", ".join(f"{given} -> {used}" for given, used in renamed.items())
        err_console.print(f"columns: {read_as}", highlight=False, markup=False)
    if not json_out:
        for row in read.rejected:
            err_console.print(f"line {row.line}: {row.reason}", highlight=False, markup=False)
    if not written:
        if json_out:
            print_json(
                {"inserted": 0, "updated": 0, "rejected": len(rejected), "rejected_rows": rejected}
            )
        raise fail(
            f"{len(rejected)} row(s) rejected, nothing imported (fix them, or pass --skip-invalid)"
        )
    summary = {
        "inserted": inserted,
        "updated": updated,
        "rejected": len(rejected),
        "columns": read.columns,
    }
    if json_out:
        print_json(summary | {"rejected_rows": rejected})
    else:
        console.print(f"imported {inserted} new, {updated} updated, {len(rejected)} rejected")


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
        found = access_contacts.every(rt.store, limit, offset)
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


@app.command("summary")
def summary(
    contact_id: Annotated[str, typer.Argument(help="The contact's id.")],
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """What to know before calling a lead: its score and top factors, what it is looking for,
    its matched listings, its last reply (and that reply's intent when known) and its last
    interactions. Written by the model when one is configured (LEADFLOW_LLM_BASE_URL), else
    extractive."""
    from leadflow.access.contact_summary import lead_summary
    from leadflow.cli.common import contact_runtime

    with contact_runtime(db, contact_id) as (rt, scope):
        found = lead_summary(rt, scope, contact_id, rt.clock.now())
    if json_out:
        print_json(found.as_dict())
        return
    console.print(found.text, highlight=False, markup=False)
    if found.reasons:
        err_console.print("extractive: " + "; ".join(found.reasons), highlight=False, markup=False)


@app.command("erase")
def erase(
    contact_id: Annotated[str, typer.Argument(help="The contact's id.")],
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Erase a contact of the tenant (right to erasure), in one transaction: its live runs
    cancelled (exit reason erased), its pending messages suppressed, its personal data removed
    from every table; an audit line is kept with a SHA-256 digest of the id, no personal data.
    Cannot be undone."""
    from leadflow.access import erasure as access_erasure
    from leadflow.access.scope import scope_of
    from leadflow.cli.common import missing_as

    if not yes:
        typer.confirm(
            f"Erase contact {contact_id!r} of tenant {tenant!r} and all its personal data? "
            "This cannot be undone",
            abort=True,
        )
    principal = operator(tenant)
    with runtime(db) as rt, missing_as(f"CONTACT_ID: no contact {contact_id!r} in {tenant!r}"):
        done = access_erasure.erase(
            rt.store, principal, scope_of(rt.store, principal), contact_id, rt.clock.now()
        )
    receipt = {
        "id": done.id,
        "contact_sha256": done.contact_digest,
        "erased_by": done.erased_by,
        "erased_at": to_iso(done.erased_at),
        "counts": done.counts,
    }
    if json_out:
        print_json(receipt)
        return
    changed = ", ".join(f"{table} {n}" for table, n in done.counts.items())
    console.print(
        f"erased contact {contact_id} (audit {done.id}, sha256 {done.contact_digest[:12]}...): "
        f"{changed}",
        highlight=False,
        markup=False,
    )
