"""``leadflow agents profile MEMBER --tenant T [...]``: show or change an agent's working hours,
urgent-task consent, availability, areas and lead sources (what is not given is kept)."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Annotated

import typer

from leadflow.access import agent_profiles as service
from leadflow.access.scope import operator
from leadflow.cli.common import console, print_json, runtime
from leadflow.cli.options import DEFAULT, DbOption, JsonOption
from leadflow.errors import InvalidInput

Csv = Annotated[str | None, typer.Option(help="Comma-separated values ('' clears).")]


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [x.strip() for x in text.split(",") if x.strip()]


def profile(
    member: Annotated[str, typer.Argument(help="The agent's MemberKey.")],
    tenant: Annotated[str, typer.Option("--tenant", help="The tenant's id.")],
    zone: Annotated[str | None, typer.Option(help="IANA zone of the hours.")] = None,
    hours: Annotated[str | None, typer.Option(help="Working hours, e.g. 09:00-18:00.")] = None,
    weekdays: Csv = None,
    urgent_after_hours: Annotated[
        bool | None, typer.Option("--urgent-after-hours/--no-urgent-after-hours")
    ] = None,
    available: Annotated[bool | None, typer.Option("--available/--unavailable")] = None,
    areas: Csv = None,
    sources: Csv = None,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Show the agent's profile, changing what is given first."""
    with runtime(db) as rt:
        who = operator(tenant)
        found = service.get_profile(rt.store, who, member)
        changes: dict[str, object] = {}
        if zone is not None:
            changes["time_zone"] = zone
        if hours is not None:
            start, sep, end = hours.partition("-")
            if not sep:
                raise InvalidInput(f"--hours: {hours!r} is not HH:MM-HH:MM")
            changes.update(hours_start=start.strip(), hours_end=end.strip())
        for name, value in (
            ("weekdays", _split(weekdays)),
            ("areas", _split(areas)),
            ("sources", _split(sources)),
        ):
            if value is not None:
                changes[name] = value
        if urgent_after_hours is not None:
            changes["urgent_after_hours"] = urgent_after_hours
        if available is not None:
            changes["available"] = available
        if changes:
            changed = replace(found, **changes)  # type: ignore[arg-type]
            found = service.set_profile(rt.store, who, changed, rt.clock.now())
    data = {k: v for k, v in asdict(found).items() if k not in ("tenant_id", "updated_at")}
    if json_out:
        print_json(data)
    else:
        for key, value in data.items():
            console.print(f"{key}: {value}", highlight=False)
