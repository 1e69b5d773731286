"""``leadflow listings import|list|parse-criteria``: a tenant's listings (RESO Property) and
the search criteria in a lead's own words."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadflow.access import listings as service
from leadflow.access.scope import operator
from leadflow.cli.common import console, err_console, fail, print_json, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.listings.criteria import CRITERIA_KEYS
from leadflow.listings.importer import parse_file
from leadflow.listings.model import to_reso
from leadflow.listings.parse import parse_criteria
from leadflow.model.listings import ListingFilter

app = typer.Typer(
    help="Listings (RESO Property): import, list, parse search criteria.", no_args_is_help=True
)

TenantOption = Annotated[str, typer.Option("--tenant", help="The tenant's id (slug).")]


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(help="CSV with RESO column names, or .json (a list or {value: [...]})."),
    ],
    tenant: TenantOption,
    db: DbOption = DEFAULT,
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the valid rows even when some are rejected.")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Import listings. Every rejected row is reported with its line (CSV) or item (JSON) and
    the field at fault; unless --skip-invalid is given, nothing is imported when any row is
    rejected."""
    if not file.is_file():
        raise fail(f"FILE: {file} does not exist")
    with runtime(db) as rt:
        parsed = parse_file(file, tenant)
        rejected = [{"where": r.where, "reason": r.reason} for r in parsed.rejected]
        if not json_out:
            for row in parsed.rejected:
                err_console.print(f"{row.where}: {row.reason}", highlight=False, markup=False)
        if parsed.rejected and not skip_invalid and json_out:
            print_json({"inserted": 0, "updated": 0, "rejected": rejected})
        changes = service.import_parsed(
            rt.store, operator(tenant), parsed, rt.clock.now(), skip_invalid
        )
    summary = {
        "inserted": changes.inserted,
        "updated": changes.updated,
        "price_changes": len(changes.price_changes),
        "status_changes": len(changes.status_changes),
        "rejected": rejected,
    }
    if json_out:
        print_json(summary)
    else:
        console.print(
            f"imported {changes.inserted} new, {changes.updated} updated "
            f"({len(changes.price_changes)} price, {len(changes.status_changes)} status "
            f"changes), {len(rejected)} rejected",
            highlight=False,
        )


def _yn(flag: bool | None) -> str | None:
    return None if flag is None else ("Y" if flag else "N")


@app.command("list")
def list_(
    tenant: TenantOption,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 1000,
    after: Annotated[str | None, typer.Option(help="Start after this ListingKey.")] = None,
) -> None:
    """The tenant's listings, by ListingKey."""
    with runtime(db) as rt:
        flt = ListingFilter(tenant, after_key=after, limit=limit)
        found, _ = service.page(rt.store, operator(tenant), flt)
    if json_out:
        print_json([to_reso(x) for x in found])
        return
    table(
        f"listings of {tenant} ({len(found)})",
        ["ListingKey", "StandardStatus", "ListPrice", "City", "PostalCode", "Beds", "IDX"],
        [
            [
                x.listing_key,
                x.standard_status,
                None if x.list_price is None else f"{x.list_price:,.0f}",
                x.city,
                x.postal_code,
                x.bedrooms_total,
                _yn(x.internet_entire_listing_display_yn),
            ]
            for x in found
        ],
    )


@app.command("parse-criteria")
def parse_criteria_(
    text: Annotated[
        str,
        typer.Argument(
            metavar="TEXT",
            help='What the lead asked for, e.g. "3 bed condo in Austin under 450k with a pool".',
        ),
    ],
    json_out: JsonOption = False,
) -> None:
    """Search criteria from free text: beds, baths, price range, cities, zip codes, RESO
    property sub types and features. Negations ("no pool") are not understood."""
    if not text.strip():
        raise fail('TEXT: is empty; give the lead\'s words, e.g. "3 bed condo in Austin"')
    criteria = parse_criteria(text).to_json()
    if json_out:
        print_json(criteria)
        return

    def shown(value: object) -> str | None:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{value:,}" if isinstance(value, int) else f"{value:g}"
        return None if value is None else str(value)

    table("criteria", ["criterion", "value"], [[k, shown(criteria[k])] for k in CRITERIA_KEYS])
