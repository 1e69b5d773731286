"""Root command and error handling: every LeadflowError becomes a clear one-line error, exit 1.

The commands load lazily: ``leadflow --help`` reads their one-line help from :data:`COMMANDS`
and imports none of them, and ``leadflow runs list`` imports the runs commands only (a test
checks that each line here is the command's own help)."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from leadflow.cli.common import err_console
from leadflow.errors import LeadflowError

_option_type = TyperOption.display_type_rich


def _flag_type_hidden(self: TyperOption, ctx: Any) -> str | None:
    """A flag (``--json``, ``--help``) has no value to describe: Typer's help would print
    ``<bool>`` beside it."""
    return None if self.is_flag else _option_type(self, ctx)


TyperOption.display_type_rich = _flag_type_hidden  # type: ignore[method-assign]


def _wired_tenants() -> typer.Typer:
    from leadflow.cli import senders, tenancy

    if not any(group.name == "senders" for group in tenancy.tenants_app.registered_groups):
        tenancy.tenants_app.add_typer(senders.senders_app, name="senders")
    return tenancy.tenants_app


def _wired_agents() -> typer.Typer:
    from leadflow.cli import agent_profiles, tenancy

    if not any(c.name == "profile" for c in tenancy.agents_app.registered_commands):
        tenancy.agents_app.command("profile")(agent_profiles.profile)
    return tenancy.agents_app


def _wired_events() -> typer.Typer:
    from leadflow.cli import runs

    importlib.import_module("leadflow.cli.events")  # adds ``events list`` to this group
    return runs.events_app


Loader = str | Callable[[], Any]
# name -> (where the command or group is: "module:attribute", or a function wiring it; its help)
COMMANDS: dict[str, tuple[Loader, str]] = {
    "init": ("leadflow.cli.db:init", "Create the database (or bring it up to date)."),
    "enroll": (
        "leadflow.cli.runs:enroll",
        "Enroll contacts in the latest version of a workflow of the tenant (re-entry policy "
        "applies; contacts of other tenants are skipped).",
    ),
    "worker": (
        "leadflow.cli.worker:worker",
        "Process events, advance due runs, dispatch the outbox and fire schedules.",
    ),
    "serve": (
        "leadflow.cli.serve:serve",
        "Serve the HTTP API (OpenAPI docs at /docs) and, by default, one in-process worker.",
    ),
    "demo": (
        "leadflow.cli.simulate:demo",
        "Simulate the New Lead Welcome workflow for synthetic leads over virtual days.",
    ),
    "simulate": (
        "leadflow.cli.simulate:simulate",
        "Simulate a workflow or template with synthetic leads; --compare sets two side by side.",
    ),
    "db": (
        "leadflow.cli.db:app",
        "Database: schema status and upgrade, backups, pruning old history.",
    ),
    "contacts": (
        "leadflow.cli.contacts:app",
        "Contacts (leads): import, list, summary and erase.",
    ),
    "workflows": (
        "leadflow.cli.workflows:app",
        "Workflows: validate, publish, list, show, schema.",
    ),
    "events": (_wired_events, "Events: emit one, list them."),
    "runs": ("leadflow.cli.runs:app", "Runs: list, show history, pause, resume, cancel."),
    "messages": ("leadflow.cli.runs:messages_app", "The outbox: list messages."),
    "tenants": (_wired_tenants, "Tenants (brokerages)."),
    "teams": ("leadflow.cli.tenancy:teams_app", "A tenant's teams (RESO Teams)."),
    "agents": (_wired_agents, "A tenant's agents (RESO Member)."),
    "keys": ("leadflow.cli.tenancy:keys_app", "API keys: create (shown once), list, revoke."),
    "listings": (
        "leadflow.cli.listings:app",
        "Listings (RESO Property): import, list, parse search criteria.",
    ),
    "scoring": (
        "leadflow.cli.scoring:scoring_app",
        "Lead scoring: scores with their factors, and configuration.",
    ),
    "experiments": (
        "leadflow.cli.experiments:app",
        "Experiments: the numbers behind each split's decisions; review, apply, stop.",
    ),
    "deals": ("leadflow.cli.deals:app", "Closed deals: import from CSV, list."),
    "analytics": (
        "leadflow.cli.analytics:app",
        "Analytics: funnels and their contacts, cohorts, insights, who converts, forecasts, "
        "revenue attribution, agents.",
    ),
    "ai": ("leadflow.cli.ai:app", "AI drafting: workflows from a sentence, never published."),
    "templates": ("leadflow.cli.templates:app", "Ready-made playbooks: list, show, install."),
    "tasks": ("leadflow.cli.tasks:app", "Tasks for agents: list, complete, snooze, reassign."),
    "replies": (
        "leadflow.cli.replies:app",
        "Reply intent: read reply texts as inbound replies are read.",
    ),
    "meta": ("leadflow.cli.meta:app", "Meta: a tenant's Facebook pages (Messenger, Lead Ads)."),
    "integrations": (
        "leadflow.cli.integrations:app",
        "CRM connectors (GoHighLevel, Follow Up Boss): config, logs, operations, sync.",
    ),
    "rules": (
        "leadflow.cli.rules:app",
        "Automation rules: list, create, show, enable, disable, firings, execute (dry run).",
    ),
}


def load(name: str) -> Any:
    """The Typer group or the command function behind ``name`` (imported now)."""
    where, _ = COMMANDS[name]
    if callable(where):
        return where()
    module, attribute = where.split(":")
    return getattr(importlib.import_module(module), attribute)


class LazyGroup(TyperGroup):
    """The root group: commands known by name and help, each imported when it is run (or its
    own help is asked for)."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:  # the root's help: name and help line only, nothing imported
            help_line = COMMANDS[cmd_name][1]
            return TyperCommand(cmd_name, help=help_line, short_help=help_line)
        found = load(cmd_name)
        if isinstance(found, typer.Typer):
            group = typer.main.get_group(found)
            group.name = cmd_name
            return group
        single = typer.Typer()
        single.command(cmd_name)(found)
        return typer.main.get_command(single)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="leadflow",
    cls=LazyGroup,
    help="Durable, multi-step, multi-channel lead-nurture workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Durable, multi-step, multi-channel lead-nurture workflows."""


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except LeadflowError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(1)
