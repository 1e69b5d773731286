"""``leadflow ai orchestrate submit FILE | status ID | list | cancel ID | run``: batches of AI
tasks, through the same operations as ``/api/v1/automation/orchestrate``. The workers
(``leadflow worker``, ``leadflow serve``) run the tasks; ``run`` runs them here until none is
left (for a machine without a worker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from leadflow.cli.common import console, fail, print_answer, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption, TenantOption
from leadflow.model.records import DEFAULT_TENANT

app = typer.Typer(
    help="Batches of AI tasks (compose, classify, summarise, drafts) run by the workers.",
    no_args_is_help=True,
)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"{path}: {exc.strerror or exc}") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise fail(f"{path}: not YAML: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise fail(f"{path}: not JSON: {exc}") from None


def _show(out: dict[str, Any]) -> None:
    console.print(
        f"batch {out['id']} {out['label']!r}: {out['status']} "
        f"(tokens in {out['tokens']['in']}, out {out['tokens']['out']})",
        markup=False,
    )
    rows = [
        [
            t["id"],
            t["kind"],
            t["status"],
            t["attempts"],
            "" if t["confidence"] is None else f"{t['confidence']:.2f}",
            f"{t['tokens']['in']}/{t['tokens']['out']}",
            t["error"] or "",
        ]
        for t in out["tasks"]
    ]
    table("tasks", ["id", "kind", "status", "attempts", "confidence", "tokens", "error"], rows)


@app.command("submit")
def submit(
    file: Annotated[Path, typer.Argument(help="JSON or YAML: {label, tasks: [...]}.")],
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Submit the batch in FILE; prints its id (the workers run it)."""
    from leadflow.access import orchestration as service

    body = _read(file)
    print_answer(
        db,
        tenant,
        lambda rt, who: service.submit(rt, who, body, rt.clock.now()),
        json_out,
        lambda out: console.print(
            f"submitted batch {out['id']}: {len(out['tasks'])} tasks", markup=False
        ),
    )


@app.command("status")
def status(
    batch_id: Annotated[str, typer.Argument(help="The batch id.")],
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """A batch: its status and each task's status, confidence, tokens and error (--json: the
    results too)."""
    from leadflow.access import orchestration as service

    print_answer(db, tenant, lambda rt, who: service.show(rt, who, batch_id), json_out, _show)


@app.command("list")
def list_batches(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """The tenant's batches, newest first."""
    from leadflow.access import orchestration as service

    print_answer(
        db, tenant, lambda rt, who: service.list_batches(rt, who, limit), json_out, _batches
    )


def _batches(found: list[dict[str, Any]]) -> None:
    rows = [[b["id"], b["label"], b["status"], b["created_at"], b["counts"]] for b in found]
    table("batches", ["id", "label", "status", "created", "tasks"], rows)


@app.command("cancel")
def cancel(
    batch_id: Annotated[str, typer.Argument(help="The batch id.")],
    db: DbOption = DEFAULT,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Cancel a batch: its pending tasks are cancelled, running ones finish."""
    from leadflow.access import orchestration as service

    print_answer(
        db,
        tenant,
        lambda rt, who: service.cancel(rt, who, batch_id, rt.clock.now()),
        json_out,
        _show,
    )


@app.command("run")
def run(db: DbOption = DEFAULT) -> None:
    """Run every runnable task here, until none is left (what a worker does)."""
    from leadflow.ai.orchestration.runner import OrchestrationJob

    with runtime(db) as rt:
        jobs = [j for j in rt.engine.registry.jobs if isinstance(j, OrchestrationJob)]
        done = 0
        while n := sum(job.run(rt.clock.now()) for job in jobs):
            done += n
    console.print(f"ran {done} task(s)", markup=False)
