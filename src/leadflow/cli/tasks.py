"""``leadflow tasks list|complete|snooze|reassign``: a tenant's tasks, as its operator."""

from __future__ import annotations

from typing import Annotated

import typer

from leadflow.access import tasks as service
from leadflow.access.scope import operator
from leadflow.cli.common import console, print_dicts, runtime
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.clock import to_iso
from leadflow.model.playbooks import TaskFilter

app = typer.Typer(help="Tasks for agents: list, complete, snooze, reassign.", no_args_is_help=True)
TenantOpt = Annotated[str, typer.Option("--tenant", help="The tenant's id.")]
IdArg = Annotated[int, typer.Argument(min=1, help="Task id.")]


@app.command("list")
def list_cmd(
    tenant: TenantOpt,
    agent: Annotated[str | None, typer.Option(help="Only this agent's (MemberKey).")] = None,
    status: Annotated[str, typer.Option(help="open, done or all.")] = "open",
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """The tenant's tasks (of one agent)."""
    with runtime(db) as rt:
        found = rt.store.list_tasks(
            TaskFilter(
                tenant, [agent] if agent else None, None if status == "all" else status, limit=1000
            )
        )
    rows = [
        {
            "id": t.id,
            "assignee": t.assignee,
            "contact_id": t.contact_id,
            "title": t.title,
            "priority": t.priority,
            "status": t.status,
            "due_at": to_iso(t.due_at),
            "overdue": t.overdue_at is not None,
        }
        for t in found
    ]
    print_dicts(rows, json_out, f"tasks of {tenant}")


@app.command("complete")
def complete_cmd(task_id: IdArg, tenant: TenantOpt, db: DbOption = DEFAULT) -> None:
    with runtime(db) as rt:
        done = service.complete(rt.store, operator(tenant), task_id, rt.clock.now())
    console.print(f"task {done.id} done", highlight=False)


@app.command("snooze")
def snooze_cmd(
    task_id: IdArg,
    tenant: TenantOpt,
    minutes: Annotated[int, typer.Option(min=1, help="Due again in this many minutes.")] = 60,
    db: DbOption = DEFAULT,
) -> None:
    with runtime(db) as rt:
        now = rt.clock.now()
        moved = service.snooze(rt.store, operator(tenant), task_id, now + minutes * 60, now)
    console.print(f"task {moved.id} due {to_iso(moved.due_at)}", highlight=False)


@app.command("reassign")
def reassign_cmd(
    task_id: IdArg,
    tenant: TenantOpt,
    to: Annotated[str, typer.Option("--to", help="MemberKey of an Active agent.")],
    db: DbOption = DEFAULT,
) -> None:
    with runtime(db) as rt:
        moved = service.reassign(rt.store, operator(tenant), task_id, to)
    console.print(f"task {moved.id} is {moved.assignee}'s", highlight=False)
