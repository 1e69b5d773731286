"""``leadflow analytics funnel|contacts|cohorts|insights|segments|forecast|attribution|agents``:
the reports of ``/api/v1/analytics`` for one tenant, as Rich tables or ``--json``."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from leadflow.access import analytics as service
from leadflow.access.scope import operator
from leadflow.analytics import charts
from leadflow.analytics.filters import Filters
from leadflow.cli.common import console, print_answer, print_json, runtime, table
from leadflow.cli.options import DEFAULT, DbOption, JsonOption, TenantOption
from leadflow.model.records import DEFAULT_TENANT
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

app = typer.Typer(
    help="Analytics: funnels and their contacts, cohorts, insights, who converts, forecasts, "
    "revenue attribution, agents.",
    no_args_is_help=True,
)

Day = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="A UTC day.")]
Text = Annotated[str | None, typer.Option()]
Workflow = Annotated[str, typer.Argument(help="The workflow's key.")]
Goals = Annotated[list[str] | None, typer.Option(help="A goal event type (repeatable).")]
WindowDays = Annotated[float, typer.Option(min=0.001)]
Alpha = Annotated[float, typer.Option(min=0.0001, max=0.5)]
MinN = Annotated[int, typer.Option(min=5)]
Png = Annotated[Path | None, typer.Option("--png", help="Also draw a PNG chart here.")]


@dataclass(frozen=True)
class Filtering:
    """The filter options a report command was given, by name; :meth:`of` makes them the
    report's :class:`Filters` in the caller's scope once the store is open."""

    given: Mapping[str, Any]

    def of(self, store: Store, who: Principal) -> Filters:
        return service.filters(store, who, **self.given)


UNFILTERED = Filtering({})
_DESCRIBED = {
    "agent": "One agent's leads (MemberKey).",
    "team": "One team's leads (TeamKey).",
    "source": "The leads of one source.",
    "tag": "The leads with one tag.",
}


def filtered(
    *, source_and_tag: bool = True, described: bool = False
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A report command's filter options, standing where its ``flt: Filtering`` parameter
    stands (their place in ``--help``): ``--since`` and ``--until`` (UTC days), ``--agent``,
    ``--team`` and, unless not ``source_and_tag``, ``--source`` and ``--tag`` (each with its
    help when ``described``). The command is called with them as one ``flt``."""
    names = ["since", "until", "agent", "team", *(["source", "tag"] if source_and_tag else [])]
    options = [
        inspect.Parameter(
            name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None,
            annotation=Day if name in ("since", "until") else (
                Annotated[str | None, typer.Option(help=_DESCRIBED[name])] if described else Text
            ),
        )
        for name in names
    ]  # fmt: skip

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)

        @functools.wraps(command)
        def filtered_command(**given: Any) -> None:
            flt = Filtering({name: given.pop(name) for name in names})
            command(**given, flt=flt)

        filtered_command.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[
                option
                for parameter in signature.parameters.values()
                for option in (options if parameter.name == "flt" else [parameter])
            ]
        )
        return filtered_command

    return decorate


@app.command("funnel")
@filtered(described=True)
def funnel(
    workflow: Workflow,
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    flt: Filtering = UNFILTERED,
    goal: Goals = None,
    window_days: WindowDays = 30.0,
    png: Png = None,
    json_out: JsonOption = False,
) -> None:
    """A workflow's funnel: per version and node, runs entered / completed / failed / exited /
    here now, messages sent ... replied, outcome shares; goal conversion and time to goal."""
    with runtime(db) as rt:
        who = operator(tenant)
        out = service.funnel(
            rt.store, who, workflow, flt.of(rt.store, who), goal or (), window_days
        )
        _charted(out, charts.funnel_png, png)
    if json_out:
        print_json(out["nodes"])
        return
    rows = []
    for n in out["nodes"]:
        outcomes = ", ".join(f"{k} {v['share']:.0%}" for k, v in (n.get("outcomes") or {}).items())
        exited = ", ".join(f"{k} {v}" for k, v in n["exited"].items())
        rows.append(
            [n["version"], n["node"], n["kind"], n["entered"], n["completed"], n["failed"],
             exited, n["current"], n.get("sent"), n.get("delivered"), n.get("opened"),
             n.get("clicked"), n.get("replied"), outcomes]
        )  # fmt: skip
    table(
        f"{workflow}: {out['entered']} runs",
        ["v", "node", "kind", "entered", "completed", "failed", "exited", "here", "sent",
         "delivered", "opened", "clicked", "replied", "outcomes"],
        rows,
    )  # fmt: skip
    g = out["goal"]
    q = g["hours_to_goal"]
    console.print(
        f"goal {', '.join(g['events']) or '(none)'} within {g['window_days']:g} days: "
        f"{g['converted']} of {out['entered']} ({g['rate']:.1%}); hours to goal median "
        f"{_num(q['median'])} (quartiles {_num(q['q1'])}-{_num(q['q3'])})",
        highlight=False,
    )


def _charted(
    out: dict[str, Any], draw: Callable[[dict[str, Any], Path], None], png: Path | None
) -> dict[str, Any]:
    """``out``, drawn first as a PNG chart at ``png`` (``--png``) when asked for."""
    if png is not None:
        draw(out, png)
    return out


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


@app.command("contacts")
def contacts(
    workflow: Workflow,
    metric: Annotated[str, typer.Argument(help="entered, sent, delivered, outcome:case:0 ...")],
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    version: Annotated[int | None, typer.Option(min=1)] = None,
    node: Text = None,
    goal: Goals = None,
    window_days: WindowDays = 30.0,
    after: Text = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
    json_out: JsonOption = False,
) -> None:
    """The contacts behind one number of a funnel (by contact id)."""
    with runtime(db) as rt:
        items, nxt = service.funnel_contacts(
            rt.store, operator(tenant), workflow, Filters(), metric=metric, version=version,
            node=node, goals=goal or (), window_days=window_days, after=after, limit=limit,
        )  # fmt: skip
    if json_out:
        print_json({"items": items, "next": nxt})
        return
    for cid in items:
        console.print(cid, highlight=False, markup=False)


@app.command("cohorts")
@filtered()
def cohorts(
    workflow: Workflow,
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    goal: Goals = None,
    period: Annotated[str, typer.Option(help="week or month.")] = "week",
    weeks: Annotated[int, typer.Option(min=1, max=104)] = 12,
    by_source: Annotated[bool, typer.Option(help="One row per cohort and lead source.")] = False,
    flt: Filtering = UNFILTERED,
    png: Png = None,
    json_out: JsonOption = False,
) -> None:
    """Cohorts by entry week or month: the share of runs reaching the goal within 1..N weeks."""

    def show(out: dict[str, Any]) -> None:
        head = ["cohort", *(["source"] if by_source else []), "size"]
        rows = [
            [r["cohort"], *([r.get("source")] if by_source else []), r["size"],
             *("" if c is None else f"{c['share']:.0%}" for c in r["cells"])]
            for r in out["rows"]
        ]  # fmt: skip
        table(
            f"{workflow}: reached {', '.join(out['goal'])} within N weeks",
            [*head, *(f"w{k + 1}" for k in range(weeks))],
            rows,
        )

    print_answer(
        db, tenant,
        lambda rt, who: _charted(
            service.cohorts(
                rt.store, who, workflow, flt.of(rt.store, who), rt.clock.now(),
                goals=goal or (), period=period, weeks=weeks, by_source=by_source,
            ),
            charts.cohorts_png, png,
        ),
        json_out, show,
    )  # fmt: skip


def _findings(
    name: str, report: Callable[..., dict[str, Any]], show: Callable[[str, dict[str, Any]], None],
    doc: str,
) -> None:  # fmt: skip
    """A command of findings over all a workflow's runs, each with its test (``insights`` and
    ``segments`` take the same options and differ only in the report and its table)."""

    def command(
        workflow: Workflow,
        tenant: TenantOption = DEFAULT_TENANT,
        db: DbOption = DEFAULT,
        goal: Goals = None,
        window_days: WindowDays = 30.0,
        alpha: Alpha = 0.05,
        min_n: MinN = 30,
        json_out: JsonOption = False,
    ) -> None:
        print_answer(
            db, tenant,
            lambda rt, who: report(
                rt.store, who, workflow, Filters(), goal or (), window_days,
                alpha=alpha, min_n=min_n,
            ),
            json_out, lambda out: show(workflow, out),
        )  # fmt: skip

    command.__doc__ = doc
    app.command(name)(command)


def _show_insights(workflow: str, out: dict[str, Any]) -> None:
    table(
        f"{workflow}: {len(out['findings'])} findings of {out['tested']} tested "
        f"(q <= {out['alpha']}, groups of {out['min_n']}+)",
        ["finding", "numbers", "p", "q"],
        [[f["finding"], f["numbers"], f"{f['p_value']:.2g}", f"{f['q_value']:.2g}"]
         for f in out["findings"]],
    )  # fmt: skip


def _show_segments(workflow: str, out: dict[str, Any]) -> None:
    table(
        f"{workflow}: who converts ({out['tested']} tested, q <= {out['alpha']})",
        ["attribute", "value", "runs", "rate", "95 %", "rest", "q", "significant"],
        [[r["attribute"], r["value"], r["runs"], f"{r['rate']:.1%}",
          f"{r['interval95'][0]:.1%}-{r['interval95'][1]:.1%}",
          "" if r["rest_rate"] is None else f"{r['rest_rate']:.1%}",
          "" if r["q_value"] is None else f"{r['q_value']:.2g}", "yes" if r["significant"] else ""]
         for r in out["segments"]],
    )  # fmt: skip


_findings(
    "insights",
    service.insights,
    _show_insights,
    """Findings over a workflow's funnel (messages, split arms, lead sources, drop-off), each
    with its numbers, p-value and Benjamini-Hochberg q-value; none below the minimum sample.""",
)
_findings(
    "segments",
    service.segments,
    _show_segments,
    """Who converts: source, area, budget, timeline, first channel and speed to lead, each with
    its rate, 95 % interval, sample and BH-corrected test against the rest.""",
)


@app.command("forecast")
def forecast(
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    horizon: Annotated[int, typer.Option(min=4, max=26, help="Weeks ahead.")] = 8,
    holdout: Annotated[int, typer.Option(min=2, max=12, help="Weeks held out.")] = 4,
    history_weeks: Annotated[int, typer.Option(min=16, max=520)] = 52,
    png: Png = None,
    json_out: JsonOption = False,
) -> None:
    """Weekly new leads, appointments and deals for the next weeks with 80 % / 95 % intervals,
    each beside its backtest on the last weeks held out."""
    print_answer(
        db, tenant,
        lambda rt, who: _charted(
            service.forecast(
                rt.store, who, rt.clock.now(), history_weeks=history_weeks, horizon=horizon,
                holdout=holdout,
            ),
            charts.forecast_png, png,
        ),
        json_out, _show_forecast,
    )  # fmt: skip


def _show_forecast(out: dict[str, Any]) -> None:
    for name, series in out["series"].items():
        if series["status"] != "ok":
            console.print(f"{name}: {series['message']}", highlight=False)
            continue
        b = series["backtest"]
        table(
            f"{name}: backtest on {b['weeks']} weeks: MAE {b['mae']}, "
            f"80 % interval held {b['coverage80']:.0%}, 95 % held {b['coverage95']:.0%}",
            ["week", "forecast", "80 %", "95 %"],
            [
                [k + 1, f["mean"], f"{f['lo80']}-{f['hi80']}", f"{f['lo95']}-{f['hi95']}"]
                for k, f in enumerate(series["forecast"])
            ],
        )


@app.command("attribution")
@filtered(source_and_tag=False)
def attribution(
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    by: Annotated[str, typer.Option(help="workflow, node, channel or message.")] = "workflow",
    basis: Annotated[str, typer.Option(help="price (ClosePrice) or commission.")] = "price",
    lookback_days: Annotated[float, typer.Option(min=0.001)] = 90.0,
    half_life_days: Annotated[float, typer.Option(min=0.001)] = 7.0,
    flt: Filtering = UNFILTERED,
    json_out: JsonOption = False,
) -> None:
    """Revenue of the deals closed in the range, credited to the touches before them in six
    models side by side (each deal's credits sum exactly to its value in every model)."""

    def show(out: dict[str, Any]) -> None:
        models = list(out["models"])
        credit: dict[str, dict[str, str]] = {}
        for model, rows in out["models"].items():
            for row in rows:
                credit.setdefault(row[by], {})[model] = row["credit"]
        table(
            f"attribution of {out['deals']} deals by {by} ({basis})",
            [by, *models],
            [[key, *(c.get(m, "0.00") for m in models)] for key, c in sorted(credit.items())],
        )

    print_answer(
        db, tenant,
        lambda rt, who: service.attribution(
            rt.store, who, flt.of(rt.store, who), by=by, basis=basis,
            lookback_days=lookback_days, half_life_days=half_life_days,
        ),
        json_out, show,
    )  # fmt: skip


@app.command("agents")
@filtered()
def agents(
    tenant: TenantOption = DEFAULT_TENANT,
    db: DbOption = DEFAULT,
    flt: Filtering = UNFILTERED,
    json_out: JsonOption = False,
) -> None:
    """Per agent and team: leads, speed to lead (median minutes to the first automated and
    human touch), appointments, deals, revenue, tasks and the share done on time."""
    print_answer(
        db, tenant,
        lambda rt, who: service.agents(rt.store, who, flt.of(rt.store, who)),
        json_out, lambda out: table(
            f"agents of {tenant}", _AGENT_COLUMNS,
            [[row[c] for c in _AGENT_COLUMNS] for row in (*out["agents"], *out["teams"])],
        ),
    )  # fmt: skip


_AGENT_COLUMNS = ["agent", "team", "leads", "speed_to_lead_auto_min", "speed_to_lead_human_min",
                  "appointments", "deals", "revenue", "commission"]  # fmt: skip
