"""``leadflow init`` and ``leadflow db ...``: create and upgrade the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadflow.cli.common import console, print_json, require_db, runtime
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.clock import to_iso
from leadflow.definitions.durations import parse_duration
from leadflow.errors import InvalidInput
from leadflow.store.backup import backup
from leadflow.store.factory import open_store
from leadflow.store.prune import default_archive_name, prune

app = typer.Typer(
    help="Database: schema status and upgrade, backups, pruning old history.", no_args_is_help=True
)


def init(db: DbOption = DEFAULT) -> None:
    """Create the database (or bring it up to date)."""
    store = open_store(db, check_schema=False)
    try:
        applied = store.upgrade()
        version = store.schema_version()
        what = f"applied migrations {applied}" if applied else "already up to date"
        console.print(f"{db}: schema version {version} ({what})")
        # A migration may mark every run for the funnel's per-run summary: build it now, not
        # in the first analytics report (about 4 minutes per million runs on SQLite).
        folded = store.fold_run_facts()
    finally:
        store.close()
    if folded:
        console.print(f"funnel summary: {folded} runs made again")


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


def _older_than(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise InvalidInput(f"--older-than: {exc}") from exc
    if seconds <= 0:
        raise InvalidInput(f"--older-than: {text!r} is not a positive duration (e.g. 90d)")
    return seconds


@app.command("prune")
def prune_cmd(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            help="Prune runs that ended (and processed events older than) this long ago: "
            "90d, 12w, 2160h...",
        ),
    ],
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            help="Where to write the gzip JSONL archive (default: "
            "./leadflow-prune-<UTC time>.jsonl.gz).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be pruned.")
    ] = False,
    keep_events: Annotated[
        bool, typer.Option("--keep-events", help="Leave processed events in the database.")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace the archive if it exists.")] = False,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Archive finished runs' history (run, steps, messages) and processed events to a gzip
    JSONL file, then delete them from the database. Live, waiting and paused runs, queued
    messages and unprocessed events are never touched."""
    seconds = _older_than(older_than)
    with runtime(db) as rt:
        now = rt.clock.now()
        path = archive if archive is not None else Path(default_archive_name(now))
        report = prune(
            rt.store,
            now - seconds,
            path,
            now=now,
            keep_events=keep_events,
            overwrite=overwrite,
            dry_run=dry_run,
        )
    if json_out:
        print_json(
            {
                "dry_run": report.dry_run,
                "cutoff": to_iso(report.cutoff),
                "archive": None if report.archive is None else str(report.archive),
                "bytes": report.bytes,
                "runs": report.runs,
                "steps": report.steps,
                "messages": report.messages,
                "events": report.events,
                "skipped_runs": report.skipped_runs,
            }
        )
        return
    counts = (
        f"{report.runs} runs, {report.steps} steps, {report.messages} messages, "
        f"{report.events} events"
    )
    cutoff = to_iso(report.cutoff)
    if report.dry_run:
        console.print(f"dry run: would archive and delete {counts} (ended before {cutoff})")
        return
    console.print(f"archived and deleted {counts} (ended before {cutoff})", highlight=False)
    console.print(f"archive: {report.archive} ({report.bytes} bytes)", highlight=False)
    if report.skipped_runs:
        console.print(
            f"{report.skipped_runs} runs changed while pruning: archived but kept", highlight=False
        )


@app.command("copy")
def copy_cmd(
    source: Annotated[
        str, typer.Option("--from", help="The SQLite installation to copy: sqlite:///PATH.")
    ],
    target: Annotated[
        str,
        typer.Option("--to", help="An empty PostgreSQL database: postgresql://USER@HOST/DB."),
    ],
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a copy into --to that was interrupted.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Rows per batch (one transaction each).")
    ] = 2000,
    json_out: JsonOption = False,
) -> None:
    """Copy a whole installation from SQLite to PostgreSQL: every table in batches, ids and
    sequences kept, counts checked at the end; resumable with --resume. Stop workers first."""
    from leadflow.store.copy import copy_database

    report = copy_database(source, target, resume=resume, batch_size=batch_size)
    if json_out:
        print_json(
            {
                "from": report.source,
                "to": report.target,
                "schema_version": report.schema_version,
                "resumed": report.resumed,
                "rows": report.rows,
                "tables": [
                    {
                        "table": t.table,
                        "source_rows": t.source_rows,
                        "target_rows": t.target_rows,
                        "copied_now": t.copied_now,
                    }
                    for t in report.tables
                ],
            }
        )
        return
    verb = "resumed and finished" if report.resumed else "copied"
    console.print(
        f"{verb}: {report.rows} rows in {len(report.tables)} tables from {report.source} "
        f"to {report.target} (schema version {report.schema_version}); counts match",
        highlight=False,
    )
