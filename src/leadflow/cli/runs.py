"""``leadflow enroll``, ``events emit``, ``runs ...``, ``messages list``."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import typer

from leadflow.access import runs as access_runs
from leadflow.access.runs import operator_of_run
from leadflow.access.scope import operator, operator_of
from leadflow.cli.common import (
    console,
    missing_as,
    options_for,
    print_json,
    print_rows,
    record_json,
    runtime,
    store_of,
    table,
)
from leadflow.cli.options import (
    DEFAULT,
    PAGE,
    DbOption,
    JsonOption,
    LimitOption,
    OffsetOption,
    TenantOption,
)
from leadflow.engine.event_refs import ID_FIELDS
from leadflow.errors import InvalidInput
from leadflow.model.records import (
    DEFAULT_TENANT,
    RUN_STATUSES,
    MessageFilter,
    RunFilter,
    Scope,
)

app = typer.Typer(help="Runs: list, show history, pause, resume, cancel.", no_args_is_help=True)
events_app = typer.Typer(help="Events: emit one, list them.", no_args_is_help=True)
messages_app = typer.Typer(help="The outbox: list messages.", no_args_is_help=True)


def enroll(
    key: Annotated[str, typer.Argument(help="Workflow key.")],
    db: DbOption = DEFAULT,
    all_: Annotated[bool, typer.Option("--all", help="Enroll every contact.")] = False,
    contact: Annotated[
        list[str] | None, typer.Option("--contact", help="Contact id (repeatable).")
    ] = None,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Enroll contacts in the latest version of a workflow of the tenant (re-entry policy
    applies; contacts of other tenants are skipped)."""
    if all_ == bool(contact):
        raise InvalidInput("enroll: give either --all or --contact ID (one or more)")
    with runtime(db) as rt, options_for({"contact_ids": "--contact"}):
        chosen = None if all_ else contact
        from leadflow.access import workflows as access_workflows  # definitions: when needed

        out = access_workflows.enroll(rt, operator(tenant), key, chosen, rt.clock.now())
    if json_out:
        print_json({"created": out.created, "skipped": out.skipped, "run_ids": out.run_ids})
    else:
        console.print(f"enrolled {out.created}, skipped {out.skipped} (re-entry policy)")


@events_app.command("emit")
def emit(
    type_: Annotated[str, typer.Argument(metavar="TYPE", help="Event type, e.g. sms.received.")],
    contact: Annotated[str, typer.Option("--contact", help="Contact id.")],
    db: DbOption = DEFAULT,
    data: Annotated[str | None, typer.Option(help="Event data as a JSON object.")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Dedupe key.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Record an event; a worker processes it (triggers, goals, waits, stop on reply)."""
    payload: Any = {}
    if data:
        try:
            payload = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"--data: not valid JSON ({exc.msg} at char {exc.pos})") from exc
        if not isinstance(payload, dict):
            raise InvalidInput("--data: must be a JSON object")
    dedupe = key or f"cli:{uuid.uuid4().hex}"
    fields = {f"data.{field}": f"--data: data.{field}" for field in ID_FIELDS}
    with runtime(db) as rt, options_for(fields):
        _, scope = operator_of(rt.store, contact)
        with missing_as(f"--contact: no contact with id {contact!r}"):
            event = (type_, contact, payload)
            from leadflow.access import event_log

            event_id, duplicate = event_log.emit(rt.store, scope, event, dedupe, rt.clock.now())
    if json_out:
        print_json({"id": event_id, "duplicate": duplicate, "dedupe_key": dedupe})
    elif duplicate:
        console.print(
            f"duplicate: event {event_id} has key {dedupe!r}; nothing recorded"
            if event_id is not None
            else f"duplicate: an event with key {dedupe!r} exists; nothing recorded"
        )
    else:
        console.print(f"event {event_id} recorded ({type_})")


# The JSON names the API's (RunOut, MessageOut, StepOut in api/data/runs.py) for the same
# objects: tests/acceptance/test_cli_api_same_json.py compares them.
RUN_FIELDS = (
    "id workflow_key version contact_id node status wake_at waiting_for created_at "
    "updated_at ended_at exit_reason error parent_run_id branch"
)
MESSAGE_FIELDS = (
    "id run_id contact_id workflow_key node channel to subject body status idempotency_key "
    "provider_id attempts duplicates created_at due_at sent_at delivered_at opened_at "
    "clicked_at replied_at suppressed_reason error"
)
STEP_FIELDS = "step_seq node kind outcome attempt started_at due_at error data"
# The tables' columns (see print_rows).
RUN_COLUMNS = (
    "id workflow=workflow_key version contact=contact_id node status wake_at "
    "reason=exit_reason|error"
)
MESSAGE_COLUMNS = (
    "id run=run_id node channel to status sent_at why=suppressed_reason|error dup=duplicates"
)


@app.command("list")
def list_(
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
    workflow: Annotated[
        str | None, typer.Option(help="Only this workflow key (of the --tenant's workflows).")
    ] = None,
    contact: Annotated[str | None, typer.Option(help="Only this contact id.")] = None,
    status: Annotated[str | None, typer.Option(help=f"One of {', '.join(RUN_STATUSES)}.")] = None,
    limit: LimitOption = PAGE,
    offset: OffsetOption = 0,
    tenant: TenantOption = DEFAULT_TENANT,
) -> None:
    """List runs (with --workflow: the runs of that tenant's workflow, keys being per
    tenant)."""
    if status is not None and status not in RUN_STATUSES:
        raise InvalidInput(f"--status: {status!r} is not one of {', '.join(RUN_STATUSES)}")
    scope = Scope(tenant) if workflow is not None else None
    with store_of(db) as store:
        found = access_runs.runs(store, scope, RunFilter(workflow, contact, status, limit, offset))
    rows = [record_json(r, RUN_FIELDS) for r in found]
    print_rows(rows, json_out, "runs", RUN_COLUMNS)


@app.command("show")
def show(run_id: int, db: DbOption = DEFAULT, json_out: JsonOption = False) -> None:
    """A run and its step history."""
    with runtime(db) as rt, missing_as(f"RUN_ID: no run {run_id}"):
        _, scope = operator_of_run(rt.store, run_id)
        run, steps, messages = access_runs.history(rt.store, scope, run_id)
    step_rows = [
        record_json(s, STEP_FIELDS) | {"data": access_runs.step_data(s.data)} for s in steps
    ]
    if json_out:
        print_json(
            record_json(run, RUN_FIELDS)
            | {"steps": step_rows, "messages": [record_json(m, MESSAGE_FIELDS) for m in messages]}
        )
        return
    console.print(
        f"run {run.id}: {run.workflow_key} v{run.version}, contact {run.contact_id}, "
        f"{run.status} at {run.node}"
        + (f" ({run.exit_reason})" if run.exit_reason else "")
        + (f", branch {run.branch!r} of run {run.parent_run_id}" if run.branch else ""),
        highlight=False,
    )
    table(
        "steps",
        ["#", "node", "kind", "outcome", "at", "error"],
        [
            [s["step_seq"], s["node"], s["kind"], s["outcome"], s["started_at"], s["error"]]
            for s in step_rows
        ],
    )


def _control(action: str, run_id: int, db: str) -> None:
    with runtime(db) as rt:
        principal, scope = operator_of_run(rt.store, run_id)
        run = access_runs.control_run(rt.store, principal, scope, run_id, action, rt.clock.now())
    console.print(f"run {run_id}: {run.status}")


@app.command("pause")
def pause(run_id: int, db: DbOption = DEFAULT) -> None:
    """Pause a live run; its queued messages are suppressed at dispatch."""
    _control("pause", run_id, db)


@app.command("resume")
def resume(run_id: int, db: DbOption = DEFAULT) -> None:
    """Resume a paused run where it stopped."""
    _control("resume", run_id, db)


@app.command("cancel")
def cancel(run_id: int, db: DbOption = DEFAULT) -> None:
    """Cancel a run for good."""
    _control("cancel", run_id, db)


@messages_app.command("list")
def messages_list(
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
    run: Annotated[int | None, typer.Option(help="Only this run.")] = None,
    contact: Annotated[str | None, typer.Option(help="Only this contact.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    channel: Annotated[str | None, typer.Option(help="sms, email, voice or webhook.")] = None,
    limit: LimitOption = PAGE,
    offset: OffsetOption = 0,
) -> None:
    """Outbox messages with status, idempotency key and refused redeliveries (duplicates)."""
    with store_of(db) as store:
        flt = MessageFilter(run, contact, status, channel, limit, offset)
        found = access_runs.messages(store, None, flt)
    rows = [record_json(m, MESSAGE_FIELDS) for m in found]
    print_rows(rows, json_out, "messages", MESSAGE_COLUMNS)


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise InvalidInput(f"--map: expected OLD=NEW, got {pair!r}")
        out[old.strip()] = new.strip()
    return out


@app.command("migrate")
def migrate(
    key: Annotated[str, typer.Argument(help="Workflow key.")],
    to_version: Annotated[int, typer.Option("--to-version", help="Target version.")],
    db: DbOption = DEFAULT,
    from_version: Annotated[
        int | None, typer.Option("--from-version", help="Only runs on this version.")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="OLD=NEW node mapping (repeatable); default: same node id."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count who moves where.")] = False,
    skip_unmapped: Annotated[
        bool, typer.Option(help="Leave runs whose node has no counterpart where they are.")
    ] = False,
    tenant: TenantOption = DEFAULT_TENANT,
    json_out: JsonOption = False,
) -> None:
    """Move in-flight runs of a tenant's workflow to another version (explicit, with a dry
    run)."""
    mapping = _mapping(map_)
    missing = f"workflow {key!r} of tenant {tenant!r} has no version {to_version}"
    with runtime(db) as rt, missing_as(missing), options_for({"mapping": "--map"}):
        from leadflow.access import workflows as access_workflows

        plan, result = access_workflows.migrate(
            rt,
            operator(tenant),
            key,
            to_version,
            mapping,
            from_version=from_version,
            dry_run=dry_run,
            skip_unmapped=skip_unmapped,
            unmapped_hint="map them with --map OLD=NEW or pass --skip-unmapped",
        )
    moves = [
        {
            "from_version": m.from_version,
            "from_node": m.from_node,
            "to_node": m.to_node,
            "runs": m.runs,
            "timing": m.timing,
        }
        for m in plan.moves
    ]
    if json_out:
        print_json(
            {
                "workflow": key,
                "to_version": to_version,
                "dry_run": dry_run,
                "moves": moves,
                "moved": result.moved if result else 0,
                "conflicts": result.conflicts if result else 0,
                "skipped": result.skipped if result else 0,
            }
        )
        return
    table(
        f"{key}: runs to version {to_version}" + (" (dry run)" if dry_run else ""),
        ["from version", "from node", "to node", "runs", "timing"],
        [
            [
                m["from_version"],
                m["from_node"],
                m["to_node"] or "(unmapped)",
                m["runs"],
                m["timing"],
            ]
            for m in moves
        ],
    )
    if result is not None:
        console.print(
            f"moved {result.moved}, conflicts {result.conflicts}, skipped {result.skipped}"
        )


@app.command("rewind")
def rewind(
    run_id: int,
    to_node: Annotated[
        str | None, typer.Option("--to-node", help="A node the run visited.")
    ] = None,
    from_step: Annotated[
        int | None,
        typer.Option("--from-step", help="Replay from this step number (see runs show)."),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Move the run (without it: a dry run).")
    ] = False,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Rewind a run to a node it visited and go on from there (a dry run unless --apply)."""
    if (to_node is None) == (from_step is None):
        raise InvalidInput("give either --to-node NODE or --from-step N (one of them)")
    with (
        runtime(db) as rt,
        missing_as(f"RUN_ID: no run {run_id}"),
        options_for({"to_node": "--to-node", "from_step": "--from-step"}),
    ):
        from leadflow.access import rewind as access_rewind

        principal, scope = operator_of_run(rt.store, run_id)
        out = access_rewind.rewind_run(
            rt,
            principal,
            scope,
            run_id,
            rt.clock.now(),
            to_node=to_node,
            from_step=from_step,
            dry_run=not apply,
        )
        shown = access_rewind.rewound_json(out)
    if json_out:
        print_json(shown)
        return
    changes = shown["changes"]
    title = f"run {run_id}: rewind to {shown['to_node']}" + (" (dry run)" if out.dry_run else "")
    table(
        title,
        ["", "before", "after"],
        [[name, changes[name]["before"], changes[name]["after"]] for name in changes],
    )
    sent = ", ".join(f"{r['node']} ({r['channel']})" for r in shown["resend"]) or "nothing"
    console.print(f"sent again: {sent}; then the run {shown['stops']}", highlight=False)
    if shown["still_queued"]:
        queued = ", ".join(str(i) for i in shown["still_queued"])
        console.print(f"still queued, not withdrawn: message {queued}", highlight=False)
    if out.dry_run:
        console.print("dry run: nothing changed (add --apply to rewind)", highlight=False)
    else:
        console.print(f"run {run_id}: {shown['status']} at {shown['node']}", highlight=False)
