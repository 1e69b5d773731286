"""``leadflow init`` and ``leadflow db ...``: create and upgrade the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadflow.cli.common import DEFAULT, DbOption, JsonOption, console, print_json, require_db
from leadflow.store.backup import backup
from leadflow.store.factory import open_store

app = typer.Typer(help="Database: schema status and upgrade, backups.", no_args_is_help=True)


def init(db: DbOption = DEFAULT) -> None:
    """Create the database (or bring it up to date)."""
    store = open_store(db, check_schema=False)
    try:
        applied = store.upgrade()
        version = store.schema_version()
    finally:
        store.close()
    what = f"applied migrations {applied}" if applied else "already up to date"
    console.print(f"{db}: schema version {version} ({what})")


@app.command("upgrade")
def upgrade(db: DbOption = DEFAULT) -> None:
    """Apply pending schema migrations."""
    init(db)


@app.command("status")
def status(db: DbOption = DEFAULT, json_out: JsonOption = False) -> None:
    """Say where the schema stands."""
    store = open_store(db, check_schema=False)
    try:
        current, latest = store.schema_version(), store.latest_schema_version()
    finally:
        store.close()
    if json_out:
        print_json(
            {"db": db, "current": current, "latest": latest, "up_to_date": current == latest}
        )
        if current != latest:
            raise typer.Exit(1)
        return
    if current == latest:
        console.print(f"{db}: schema version {current}, up to date")
    else:
        console.print(
            f"{db}: schema version {current}, latest is {latest}; "
            f"run `leadflow db upgrade --db {db}`"
        )
        raise typer.Exit(1)


@app.command("backup")
def backup_cmd(
    path: Annotated[Path, typer.Argument(help="Where to write the backup.")],
    db: DbOption = DEFAULT,
    overwrite: Annotated[bool, typer.Option(help="Replace PATH if it exists.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Back up the database while it is in use (SQLite online backup; PostgreSQL: pg_dump)."""
    require_db(db)
    result = backup(db, path, overwrite=overwrite)
    if json_out:
        print_json({"path": str(result.path), "bytes": result.bytes, "method": result.method})
    else:
        console.print(f"backed up {db} to {result.path} ({result.bytes} bytes, {result.method})")
