"""The options most commands take: the database, the tenant, JSON output, paging."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.settings import DEFAULT_DB

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="LEADFLOW_DB",
        help="Database URL (sqlite:///PATH, postgresql://USER@HOST/DB or memory://).",
        show_default=True,
    ),
]
TenantOption = Annotated[
    str,
    typer.Option(
        "--tenant",
        envvar="LEADFLOW_TENANT",
        help="The tenant (brokerage) the data belongs to.",
        show_default=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON with stable field names.")]
LimitOption = Annotated[int, typer.Option(min=1)]
OffsetOption = Annotated[int, typer.Option(min=0)]
DEFAULT = DEFAULT_DB
PAGE = 1000  # what a list command prints when not told --limit
