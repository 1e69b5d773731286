"""``leadflow events list``: stored events, e.g. ``--failed`` for those set aside (quarantined)
because they could not be processed."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leadflow.access import event_log
from leadflow.cli.common import print_json, record_json, runtime, table
from leadflow.cli.options import DEFAULT, PAGE, DbOption, JsonOption, LimitOption
from leadflow.cli.runs import events_app
from leadflow.clock import to_iso
from leadflow.errors import InvalidInput
from leadflow.model.records import EVENT_STATUSES, Event


def event_json(e: Event) -> dict[str, Any]:
    return record_json(e, "id type contact_id data occurred_at processed_at status error ignored")


@events_app.command("list")
def list_events(
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only events that could not be processed.")
    ] = False,
    status: Annotated[str | None, typer.Option(help=f"One of {', '.join(EVENT_STATUSES)}.")] = None,
    contact: Annotated[str | None, typer.Option(help="Only this contact id.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="Only this event type.")] = None,
    after: Annotated[int, typer.Option(min=0, help="Only ids above this one.")] = 0,
    limit: LimitOption = PAGE,
) -> None:
    """List events by id, with their status (pending, processed, failed) and, for those that
    failed or had ids ignored, why."""
    if failed and status not in (None, "failed"):
        raise InvalidInput("--failed and --status: give one of them")
    wanted = "failed" if failed else status
    if wanted is not None and wanted not in EVENT_STATUSES:
        raise InvalidInput(f"--status: must be one of {', '.join(EVENT_STATUSES)}")
    with runtime(db) as rt:
        found = event_log.find(
            rt.store, None, contact, limit, after_id=after, type=type_, status=wanted
        )
    if json_out:
        print_json([event_json(e) for e in found])
        return
    rows = [
        (e.id, e.type, e.contact_id, to_iso(e.occurred_at), e.status, e.error or e.ignored or "")
        for e in found
    ]
    table(None, ["id", "type", "contact", "occurred", "status", "why"], rows)


__all__ = ["event_json", "list_events"]
