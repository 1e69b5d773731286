"""``leadflow meta pages list|add|remove``: a tenant's Facebook pages (Messenger and Lead Ads),
as the installation's operator. The page access token is read from a hidden prompt or
``LEADFLOW_META_PAGE_TOKEN``, never from an argument (it would stay in the shell's history),
and never printed back (only its last four characters)."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.access import meta
from leadflow.access.scope import operator
from leadflow.cli.common import console, print_dicts, print_json, runtime
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.clock import to_iso

app = typer.Typer(
    help="Meta: a tenant's Facebook pages (Messenger, Lead Ads).", no_args_is_help=True
)
pages_app = typer.Typer(help="A tenant's Facebook pages.", no_args_is_help=True)
app.add_typer(pages_app, name="pages")
TenantOption = Annotated[str, typer.Option("--tenant", help="The tenant's id (slug).")]


def _row(page: object) -> dict[str, object]:
    from leadflow.model.meta import MetaPage

    assert isinstance(page, MetaPage)
    return {
        "page_id": page.page_id,
        "name": page.name,
        "access_token": meta.token_hint(page),
        "created_at": to_iso(page.created_at),
    }


@pages_app.command("list")
def pages_list(tenant: TenantOption, db: DbOption = DEFAULT, json_out: JsonOption = False) -> None:
    """The tenant's pages (tokens shown by their last four characters)."""
    with runtime(db) as rt:
        rows = [_row(p) for p in meta.pages(rt.store, operator(tenant))]
    print_dicts(rows, json_out, f"Facebook pages of {tenant}", empty="page_id")


@pages_app.command("add")
def pages_add(
    page_id: Annotated[str, typer.Argument(help="The page's numeric id.")],
    tenant: TenantOption,
    token: Annotated[
        str,
        typer.Option(
            "--token",
            prompt="Page access token",
            hide_input=True,
            envvar="LEADFLOW_META_PAGE_TOKEN",
            help="Read from a hidden prompt or LEADFLOW_META_PAGE_TOKEN.",
        ),
    ],
    name: Annotated[str | None, typer.Option(help="A display name.")] = None,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Register a page for the tenant (or replace its token)."""
    with runtime(db) as rt:
        page = meta.add_page(rt.store, operator(tenant), page_id, token, rt.clock.now(), name)
    if json_out:
        print_json(_row(page))
    else:
        console.print(f"page {page.page_id} registered for {tenant}", highlight=False)


@pages_app.command("remove")
def pages_remove(
    page_id: Annotated[str, typer.Argument(help="The page's numeric id.")],
    tenant: TenantOption,
    db: DbOption = DEFAULT,
) -> None:
    """Remove one of the tenant's pages (and its Messenger links)."""
    with runtime(db) as rt:
        meta.remove_page(rt.store, operator(tenant), page_id)
    console.print(f"page {page_id} removed from {tenant}", highlight=False)
