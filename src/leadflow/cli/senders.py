"""``leadflow tenants senders list|add|remove``: a tenant's phone numbers, Messaging Services and
e-mail from-addresses (see :mod:`leadflow.channels.senders`).

The CLI is the operator's: unlike a tenant admin through the API, it may give one of the
installation's configured senders (``LEADFLOW_TWILIO_FROM_NUMBER`` ...) to a tenant other than
``default``; a sender another tenant registered stays refused.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from leadflow.access import senders
from leadflow.access.scope import operator
from leadflow.cli.common import console, print_dicts, runtime
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.clock import to_iso
from leadflow.errors import NotFound
from leadflow.model.records import DEFAULT_TENANT

senders_app = typer.Typer(
    help="A tenant's senders: numbers, Messaging Services, e-mail addresses.",
    no_args_is_help=True,
)
TenantOption = Annotated[str, typer.Option("--tenant", help="The tenant's id (slug).")]
KindOption = Annotated[
    Literal["phone", "messaging_service", "email"],
    typer.Option("--kind", help="phone, messaging_service or email."),
]
AddressArg = Annotated[
    str, typer.Argument(help="+15125550100, MG + 32 hex digits, or name@example.com.")
]


@senders_app.command("list")
def senders_list(
    tenant: TenantOption, db: DbOption = DEFAULT, json_out: JsonOption = False
) -> None:
    """The tenant's senders (and, for ``default``, the configured ones it owns)."""
    with runtime(db) as rt:
        found = senders.listed(rt.store, rt.settings, operator(tenant))
    rows = [
        {
            "kind": s.kind,
            "address": s.address,
            "label": s.label,
            "source": source,
            "created_at": to_iso(s.created_at) if source == "registered" else None,
        }
        for s, source in found
    ]
    headers = ["kind", "address", "label", "source", "created"]
    print_dicts(rows, json_out, f"senders of {tenant}", headers)


@senders_app.command("add")
def senders_add(
    address: AddressArg,
    tenant: TenantOption,
    kind: KindOption,
    label: Annotated[str | None, typer.Option(help="E-mail: the From display name.")] = None,
    db: DbOption = DEFAULT,
) -> None:
    """Register a sender for the tenant (refused when another tenant registered it)."""
    with runtime(db) as rt:
        if tenant != DEFAULT_TENANT and rt.store.get_tenant(tenant) is None:
            raise NotFound(
                f"--tenant: no tenant {tenant!r}; create it with `leadflow tenants create`"
            )
        added = senders.add(
            rt.store, rt.settings, operator(tenant), kind, address, rt.clock.now(), label
        )
    console.print(f"{added.kind} {added.address} is a sender of {tenant}", highlight=False)


@senders_app.command("remove")
def senders_remove(
    address: AddressArg, tenant: TenantOption, kind: KindOption, db: DbOption = DEFAULT
) -> None:
    """Remove one of the tenant's senders."""
    with runtime(db) as rt:
        senders.remove(rt.store, operator(tenant), kind, address)
    console.print(f"{kind} {address} removed from {tenant}", highlight=False)
