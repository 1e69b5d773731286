"""``leadflow workflows validate|publish|list|show|schema``."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadflow.access import workflows as access_workflows
from leadflow.access.scope import operator
from leadflow.cli.common import (
    console,
    err_console,
    missing_as,
    print_json,
    read_workflow_file,
    runtime,
    table,
)
from leadflow.cli.options import DEFAULT, DbOption, JsonOption, TenantOption
from leadflow.clock import to_iso
from leadflow.definitions.io import dump_yaml
from leadflow.definitions.models import WorkflowDefinition
from leadflow.definitions.schema import workflow_json_schema
from leadflow.errors import LeadflowError
from leadflow.model.records import DEFAULT_TENANT, Scope

app = typer.Typer(help="Workflows: validate, publish, list, show, schema.", no_args_is_help=True)

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


OptionalDb = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="LEADFLOW_DB",
        help="Also check against this database: start_workflow targets published by the "
        "--tenant, custom actions registered.",
    ),
]


@app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="YAML or JSON workflow files.")],
    db: OptionalDb = None,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Check workflow files; exit 1 with every error (path: problem) when any is invalid. With
    --db, also against what the --tenant published (start_workflow targets)."""
    results: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        rt = stack.enter_context(runtime(db)) if db else None
        for path in files:
            results.append(_check_file(path, rt, tenant))
    _report(results, json_out)


def _check_file(path: Path, rt: Runtime | None, tenant: str) -> dict[str, Any]:
    try:
        found = access_workflows.check(rt, tenant, read_workflow_file(path))
        errors, warnings = found.errors, found.warnings
    except LeadflowError as exc:
        errors, warnings = [exc.message], []
    return {"file": str(path), "ok": not errors, "errors": errors, "warnings": warnings}


def _report(results: list[dict[str, Any]], json_out: bool) -> None:
    if json_out:
        print_json(results)
    else:
        for r in results:
            if r["ok"]:
                console.print(f"[green]ok[/green] {r['file']}", highlight=False)
            else:
                err_console.print(f"[red]invalid[/red] {r['file']}", highlight=False)
                for e in r["errors"]:
                    err_console.print(f"  - {e}", highlight=False, markup=False)
            for w in r["warnings"]:
                console.print(f"  warning: {w}", highlight=False, markup=False)
    if not all(r["ok"] for r in results):
        raise typer.Exit(1)


@app.command("publish")
def publish(
    file: Annotated[Path, typer.Argument(help="YAML or JSON workflow file.")],
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Validate and publish a new immutable version; prints key and version."""
    data = read_workflow_file(file)
    with runtime(db) as rt:
        version, _ = access_workflows.publish_definition(rt, operator(tenant), data, rt.clock.now())
    if json_out:
        print_json({"key": version.key, "version": version.version})
    else:
        console.print(f"published {version.key} version {version.version}")


@app.command("list")
def list_(db: DbOption = DEFAULT, json_out: JsonOption = False) -> None:
    """Published workflows of every tenant (latest version of each) with their run counts."""
    with runtime(db) as rt:
        rows: list[dict[str, Any]] = []
        for wf in access_workflows.published(rt.store, None):
            counts = access_workflows.runs_by_status(rt.store, Scope(wf.tenant_id), wf.key)
            rows.append(
                {
                    "key": wf.key,
                    "tenant": wf.tenant_id,
                    "name": wf.name,
                    "version": wf.version,
                    "published_at": to_iso(wf.published_at),
                    "runs": counts,
                }
            )
    if json_out:
        print_json(rows)
        return
    table(
        "workflows",
        ["key", "tenant", "name", "version", "published", "runs"],
        [
            [
                r["key"],
                r["tenant"],
                r["name"],
                r["version"],
                r["published_at"],
                " ".join(f"{k}={v}" for k, v in sorted(r["runs"].items())),
            ]
            for r in rows
        ],
    )


@app.command("show")
def show(
    key: str,
    db: DbOption = DEFAULT,
    version: Annotated[int | None, typer.Option(help="Version (default: latest).")] = None,
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """Print a published version of the tenant's workflow as YAML."""
    missing = f"workflow {key!r}" + (f" version {version}" if version else "") + " not found"
    with runtime(db) as rt, missing_as(missing):
        found = access_workflows.version_of(rt.store, tenant, key, version)
    # Plain text, never wrapped: the output is meant to be redirected into a file.
    sys.stdout.write(f"# {found.key} version {found.version}\n")
    sys.stdout.write(dump_yaml(WorkflowDefinition.model_validate(found.definition)))


@app.command("schema")
def schema(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="LEADFLOW_DB",
            help="Accepted like every command; the schema does not depend on it.",
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of the workflow language."""
    print(json.dumps(workflow_json_schema(), indent=2))
