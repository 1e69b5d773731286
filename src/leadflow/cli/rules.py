"""``leadflow rules list|create|show|enable|disable|firings|execute``: a tenant's automation
rules, as its operator (the same access functions and checks as the API)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from leadflow.cli.common import fail, print_json, read_workflow_file, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption, TenantOption
from leadflow.clock import to_iso
from leadflow.model.automation import Rule
from leadflow.model.records import DEFAULT_TENANT

app = typer.Typer(
    help="Automation rules: list, create, show, enable, disable, firings, execute (dry run).",
    no_args_is_help=True,
)
IdArg = Annotated[int, typer.Argument(min=1, help="Rule id.")]


def _row(r: Rule) -> dict[str, Any]:
    s = r.spec
    return {
        "id": r.id,
        "version": r.version,
        "enabled": r.enabled,
        "name": s.name,
        "event": s.event,
        "filter": s.filter,
        "actions": s.actions,
        "priority": s.priority,
        "stop": s.stop,
        "updated_at": to_iso(r.updated_at),
    }


def _show(rows: list[dict[str, Any]], json_out: bool, title: str) -> None:
    if json_out:
        print_json(rows)
        return
    table(
        title,
        ["id", "version", "enabled", "priority", "event", "name", "actions"],
        [
            [
                r["id"],
                r["version"],
                r["enabled"],
                r["priority"],
                r["event"],
                r["name"],
                ", ".join(a.get("kind", "?") for a in r["actions"]),
            ]
            for r in rows
        ],
    )


@app.command("list")
def list_cmd(
    tenant: TenantOption = DEFAULT_TENANT, db: DbOption = DEFAULT, json_out: JsonOption = False
) -> None:
    """The tenant's rules at their current versions."""
    from leadflow.access import automation_rules as service
    from leadflow.access.scope import operator

    with runtime(db) as rt:
        rows = [_row(r) for r in service.list_rules(rt, operator(tenant))]
    _show(rows, json_out, f"rules of {tenant}")


@app.command("create")
def create_cmd(
    file: Annotated[str, typer.Option("--file", help="The rule as YAML or JSON.")],
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Create a rule from a file (checked first: every problem is named by its field)."""
    from pydantic import ValidationError

    from leadflow.access import automation_rules as service
    from leadflow.access.scope import operator
    from leadflow.rules.spec import RuleBody

    data = read_workflow_file(file)
    try:
        body = RuleBody.model_validate(data)
    except ValidationError as exc:
        lines = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise fail(f"{file}: {lines}") from None
    with runtime(db) as rt:
        made = service.create_rule(rt, operator(tenant), body)
    _show([_row(made)], json_out, f"rule {made.id} created")


@app.command("show")
def show_cmd(
    rule_id: IdArg,
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
) -> None:
    """One rule, every version, as JSON."""
    from leadflow.access import automation_rules as service
    from leadflow.access.scope import operator

    with runtime(db) as rt:
        print_json([_row(r) for r in service.rule_versions(rt, operator(tenant), rule_id)])


def _toggle(rule_id: int, tenant: str, db: str, enabled: bool) -> None:
    from leadflow.access import automation_rules as service
    from leadflow.access.scope import operator

    with runtime(db) as rt:
        rule = service.set_enabled(rt, operator(tenant), rule_id, enabled)
    typer.echo(f"rule {rule.id} {'enabled' if rule.enabled else 'disabled'}")


@app.command("enable")
def enable_cmd(
    rule_id: IdArg, tenant: TenantOption = DEFAULT_TENANT, db: DbOption = DEFAULT
) -> None:
    """Let the workers fire the rule on new events."""
    _toggle(rule_id, tenant, db, True)


@app.command("disable")
def disable_cmd(
    rule_id: IdArg, tenant: TenantOption = DEFAULT_TENANT, db: DbOption = DEFAULT
) -> None:
    """Stop the rule (its versions and firings are kept)."""
    _toggle(rule_id, tenant, db, False)


@app.command("firings")
def firings_cmd(
    rule_id: IdArg,
    tenant: TenantOption = DEFAULT_TENANT,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    db: DbOption = DEFAULT,
) -> None:
    """The rule's firings (rule version, event, actions, outcome, error), as JSON."""
    from leadflow.access import automation_rules as service
    from leadflow.access.scope import operator

    with runtime(db) as rt:
        found = service.list_firings(rt, operator(tenant), rule_id, limit=limit)
    print_json(
        [
            {
                "id": f.id,
                "rule_version": f.rule_version,
                "event_id": f.event_id,
                "contact_id": f.contact_id,
                "actions": f.actions,
                "outcome": f.outcome,
                "error": f.error,
                "source": f.source,
                "fired_at": to_iso(f.fired_at),
            }
            for f in found
        ]
    )


def _moment(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise fail(f"{name}: {text!r} is not an ISO 8601 date-time") from None


@app.command("execute")
def execute_cmd(
    rule: Annotated[list[int], typer.Option("--rule", min=1, help="A rule id (repeatable).")],
    event: Annotated[
        list[int] | None, typer.Option("--event", min=1, help="An event id (repeatable).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Events from (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="... up to, not included.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run/--run", help="Only report the impact (the default).")
    ] = True,
    expect: Annotated[
        str | None, typer.Option(help="A real run: the dry run's digest it must match.")
    ] = None,
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    json_out: JsonOption = False,
) -> None:
    """Rules over events: the impact (which contacts, which actions, how many), or --run."""
    from leadflow.access import automation_rules as service
    from leadflow.access.scope import operator

    req = service.ExecuteRequest(
        rule_ids=rule,
        event_ids=event or (),
        since=_moment(since, "--since"),
        until=_moment(until, "--until"),
        dry_run=dry_run,
        expect=expect,
    )
    with runtime(db) as rt:
        report = service.execute_rules(rt, operator(tenant), req).as_dict()
    if json_out:
        print_json(report)
        return
    mode = "dry run" if dry_run else "run"
    typer.echo(
        f"{mode}: {report['events']} events, {len(report['firings'])} firings "
        f"({report['outcomes']}), {len(report['contacts'])} contacts, digest {report['digest']}"
    )
    table("actions", ["action", "count"], [[k, v] for k, v in report["counts"].items()])
    if not dry_run:
        typer.echo(f"recorded {report['recorded']}, already recorded by others {report['lost']}")
