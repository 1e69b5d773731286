"""Root command and error handling: every LeadflowError becomes a clear one-line error, exit 1."""

from __future__ import annotations

import logging
import sys

import typer

from leadflow.cli import (
    agent_profiles,
    ai,
    analytics,
    contacts,
    db,
    deals,
    experiments,
    listings,
    runs,
    senders,
    simulate,
    tasks,
    templates,
    tenancy,
    workflows,
)
from leadflow.cli import events as events_cmd  # noqa: F401  (registers ``events list``)
from leadflow.cli import serve as serve_cmd
from leadflow.cli import worker as worker_cmd
from leadflow.cli.common import err_console
from leadflow.cli.scoring import scoring_app
from leadflow.errors import LeadflowError

app = typer.Typer(
    name="leadflow",
    help="Durable, multi-step, multi-channel lead-nurture workflows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("init")(db.init)
app.add_typer(db.app, name="db")
app.add_typer(contacts.app, name="contacts")
app.add_typer(workflows.app, name="workflows")
app.command("enroll")(runs.enroll)
app.add_typer(runs.events_app, name="events")
app.add_typer(runs.app, name="runs")
app.add_typer(runs.messages_app, name="messages")
app.command("worker")(worker_cmd.worker)
app.command("serve")(serve_cmd.serve)
tenancy.tenants_app.add_typer(senders.senders_app, name="senders")
app.add_typer(tenancy.tenants_app, name="tenants")
app.add_typer(tenancy.teams_app, name="teams")
tenancy.agents_app.command("profile")(agent_profiles.profile)
app.add_typer(tenancy.agents_app, name="agents")
app.add_typer(tenancy.keys_app, name="keys")
app.add_typer(listings.app, name="listings")
app.add_typer(scoring_app, name="scoring")
app.add_typer(experiments.app, name="experiments")
app.add_typer(deals.app, name="deals")
app.add_typer(analytics.app, name="analytics")
app.add_typer(ai.app, name="ai")
app.add_typer(templates.app, name="templates")
app.add_typer(tasks.app, name="tasks")
app.command("demo")(simulate.demo)
app.command("simulate")(simulate.simulate)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except LeadflowError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", highlight=False)
        sys.exit(1)
