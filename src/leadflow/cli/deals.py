"""``leadflow deals import|list``: a tenant's closed deals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadflow.access import deals as service
from leadflow.access.scope import operator
from leadflow.analytics.deals import csv_rows, deal_json
from leadflow.cli.common import console, err_console, fail, print_json, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption, TenantOption
from leadflow.errors import InvalidInput
from leadflow.model.deals import DealFilter
from leadflow.model.records import DEFAULT_TENANT

app = typer.Typer(help="Closed deals: import from CSV, list.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with the columns DealKey, Side (buy/sell), ClosePrice, CloseDate "
            "(YYYY-MM-DD) and optionally ContactKey, MemberKey, ListingKey, Commission."
        ),
    ],
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Import closed deals: all or nothing. Every rejected row is named by its line and field;
    each saved deal with a contact raises a deal.closed event (once, however often imported)."""
    if not file.is_file():
        raise fail(f"FILE: {file} does not exist")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"FILE: {file} is not UTF-8 text") from None
    with runtime(db) as rt:
        rows = csv_rows(text)
        principal = operator(tenant)
        parsed = service.check(rt.store, principal, rows)
        if parsed.rejected:
            found = [{"where": r.where, "reason": "; ".join(r.reasons)} for r in parsed.rejected]
            if json_out:
                print_json({"inserted": 0, "updated": 0, "rejected": found})
            else:
                for r in found:
                    err_console.print(f"{r['where']}: {r['reason']}", highlight=False, markup=False)
            raise fail(f"{len(found)} rows rejected; nothing imported")
        try:
            inserted, updated = service.import_rows(rt.store, principal, rows, rt.clock.now())
        except InvalidInput as exc:  # a contact or agent removed since the check
            raise fail(exc.message) from None
    if json_out:
        print_json({"inserted": inserted, "updated": updated, "rejected": []})
    else:
        console.print(f"imported {inserted} new, {updated} updated deals", highlight=False)


@app.command("list")
def list_(
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 1000,
    after: Annotated[str | None, typer.Option(help="Start after this DealKey.")] = None,
) -> None:
    """The tenant's deals, by DealKey."""
    with runtime(db) as rt:
        found, _ = service.page(
            rt.store, operator(tenant), DealFilter(tenant, after_key=after, limit=limit)
        )
    items = [deal_json(d) for d in found]
    if json_out:
        print_json(items)
        return
    columns = [
        "DealKey",
        "CloseDate",
        "Side",
        "ClosePrice",
        "Commission",
        "ContactKey",
        "MemberKey",
    ]
    table(f"deals of {tenant} ({len(items)})", columns, [[d[c] for c in columns] for d in items])
