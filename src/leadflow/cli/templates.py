"""``leadflow templates list|show|install``: the shipped playbooks and installing one."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.access import templates as service
from leadflow.access.scope import operator
from leadflow.cli.common import console, print_json, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.definitions.models import WorkflowDefinition
from leadflow.errors import NotFound
from leadflow.model.records import DEFAULT_TENANT
from leadflow.playbooks.catalog import instantiate, parse_sets
from leadflow.playbooks.diagram import mermaid

app = typer.Typer(help="Ready-made playbooks: list, show, install.", no_args_is_help=True)
NameArg = Annotated[str, typer.Argument(help="Template name, e.g. new-lead-welcome.")]


@app.command("list")
def list_cmd(json_out: JsonOption = False) -> None:
    """Every template with its parameters."""
    found = [t.as_dict() for t in service.listed()]
    if json_out:
        print_json(found)
        return
    table(
        "templates",
        ["name", "title", "parameters"],
        [[t["name"], t["title"], ", ".join(p["name"] for p in t["parameters"])] for t in found],
    )


@app.command("show")
def show_cmd(
    name: NameArg,
    json_out: JsonOption = False,
    diagram: Annotated[
        bool, typer.Option("--mermaid", help="Print its diagram (Mermaid, with defaults).")
    ] = False,
) -> None:
    """One template: what it does day by day and its parameters."""
    template = service.shown(name)
    if diagram:
        definition = WorkflowDefinition.model_validate(instantiate(template, {}))
        typer.echo(mermaid(definition), nl=False)
        return
    t = template.as_dict()
    if json_out:
        print_json(t)
        return
    console.print(f"[bold]{t['title']}[/bold] ({t['name']}, workflow key {t['key']})")
    console.print(t["summary"], highlight=False)
    for line in t["days"]:
        console.print(f"  - {line}", highlight=False)
    table(
        "parameters",
        ["name", "type", "default", "allowed", "description"],
        [
            [
                p["name"],
                p["type"],
                "(required)" if p["required"] else p["default"],
                p["allowed"] or "",
                p["description"],
            ]
            for p in t["parameters"]
        ],
    )


@app.command("install")
def install_cmd(
    name: NameArg,
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant to install it in.")],
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="NAME=VALUE for a parameter (repeat).")
    ] = None,
    publish: Annotated[bool, typer.Option("--publish", help="Publish (else a draft).")] = False,
    db: DbOption = DEFAULT,
) -> None:
    """Fill the template in and save it as a draft, or publish it."""
    values = parse_sets(sets or [])
    with runtime(db) as rt:
        if tenant != DEFAULT_TENANT and rt.store.get_tenant(tenant) is None:
            raise NotFound(
                f"--tenant: no tenant {tenant!r}; create it with `leadflow tenants create`"
            )
        done = service.install(rt, operator(tenant), name, values, rt.clock.now(), publish=publish)
    if done.version is not None:
        console.print(
            f"published {done.key} version {done.version.version} for {tenant}", highlight=False
        )
    else:
        console.print(f"saved {done.key} as a draft for {tenant}", highlight=False)
        for w in done.warnings or []:
            console.print(f"  note: {w}", highlight=False)
