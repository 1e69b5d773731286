"""``/api/v1/analytics``: reports over the leads, runs and deals the key may see (an agent its
own, a manager its team's, an admin the tenant's). ``funnel`` (per version and node),
``funnel/contacts`` (the contacts behind any number of it, paged), ``cohorts`` (the share
reaching a goal by weeks since entry), ``forecast`` (weekly, with backtests), ``insights``,
``segments``, ``attribution`` (six models side by side), ``agents`` (performance per agent and
team). Dates are UTC days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from leadflow.access import analytics as service
from leadflow.analytics.filters import Filters
from leadflow.api.deps import AccessDep
from leadflow.api.problems import problem_responses
from leadflow.api.routes import routed

router = APIRouter(prefix="/analytics", tags=["analytics"])

Text = Annotated[str | None, Query(min_length=1, max_length=200)]
Day = Annotated[dt.date | None, Query(description="A UTC day, YYYY-MM-DD.")]
Workflow = Annotated[str, Query(min_length=1, max_length=200, description="The workflow key.")]
Goals = Annotated[
    list[str] | None,
    Query(max_length=20, description="Goal event types (default: the workflow's goals)."),
]
Window = Annotated[float, Query(gt=0, le=3650, description="Days after entry a goal counts.")]


class ContactPage(BaseModel):
    items: list[str]
    next: str | None


def _filters(
    access: AccessDep,
    since: Day = None,
    until: Day = None,
    agent: Text = None,
    team: Text = None,
    source: Text = None,
    tag: Text = None,
) -> Filters:
    """The report filters every analytics route takes (one dependency): a date range, an agent
    or team inside the caller's scope, a lead source, a tag."""
    return service.filters(
        access.runtime.store,
        access.principal,
        since=since,
        until=until,
        agent=agent,
        team=team,
        source=source,
        tag=tag,
    )


FiltersDep = Annotated[Filters, Depends(_filters)]


@routed(router.get, "/funnel", "A workflow's funnel per version and node", 404)
def funnel(
    access: AccessDep,
    flt: FiltersDep,
    workflow: Workflow,
    goal: Goals = None,
    window_days: Window = 30.0,
) -> dict[str, Any]:
    return service.funnel(
        access.runtime.store, access.principal, workflow, flt, goal or (), window_days
    )


@routed(
    router.get,
    "/funnel/contacts",
    "The contacts behind one number of a funnel (paged by contact id)",
    404,
)
def funnel_contacts(
    access: AccessDep,
    flt: FiltersDep,
    workflow: Workflow,
    metric: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="entered, completed, failed, current, sent, delivered, opened, clicked, "
            "replied, suppressed, send_failed, outcome:<case>, exited:<reason>; without a node: "
            "entered, goal, status:<status>, exited:<reason>.",
        ),
    ],
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    node: Text = None,
    goal: Goals = None,
    window_days: Window = 30.0,
    after: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> ContactPage:
    items, nxt = service.funnel_contacts(
        access.runtime.store,
        access.principal,
        workflow,
        flt,
        metric=metric,
        version=version,
        node=node,
        goals=goal or (),
        window_days=window_days,
        after=after,
        limit=limit,
    )
    return ContactPage(items=items, next=nxt)


@routed(router.get, "/attribution", "Revenue attribution of closed deals in six models", 404)
def attribution(
    access: AccessDep,
    by: Annotated[str, Query(pattern="^(workflow|node|channel|message)$")] = "workflow",
    basis: Annotated[str, Query(pattern="^(price|commission)$")] = "price",
    lookback_days: Annotated[float, Query(gt=0, le=3650)] = 90.0,
    half_life_days: Annotated[float, Query(gt=0, le=3650)] = 7.0,
    since: Day = None,
    until: Day = None,
    agent: Text = None,
    team: Text = None,
) -> dict[str, Any]:
    flt = _filters(access, since, until, agent, team, None, None)
    return service.attribution(
        access.runtime.store,
        access.principal,
        flt,
        by=by,
        basis=basis,
        lookback_days=lookback_days,
        half_life_days=half_life_days,
    )


@routed(
    router.get,
    "/cohorts",
    "Cohorts by entry week or month: the share reaching a goal by weeks since entry",
    404,
)
def cohorts(
    access: AccessDep,
    flt: FiltersDep,
    workflow: Workflow,
    goal: Goals = None,
    period: Annotated[str, Query(pattern="^(week|month)$")] = "week",
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
    by_source: Annotated[bool, Query(description="One row per cohort and lead source.")] = False,
) -> dict[str, Any]:
    return service.cohorts(
        access.runtime.store, access.principal, workflow, flt, access.now(), goals=goal or (),
        period=period, weeks=weeks, by_source=by_source,
    )  # fmt: skip


def _findings(path: str, summary: str, report: Callable[..., dict[str, Any]]) -> None:
    """A route of findings over a workflow's funnel, each with its test (``insights`` and
    ``segments`` take the same query and differ only in the report)."""

    def route(
        access: AccessDep,
        flt: FiltersDep,
        workflow: Workflow,
        goal: Goals = None,
        window_days: Window = 30.0,
        alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
        min_n: Annotated[int, Query(ge=5, le=1_000_000)] = 30,
    ) -> dict[str, Any]:
        return report(
            access.runtime.store, access.principal, workflow, flt, goal or (), window_days,
            alpha=alpha, min_n=min_n,
        )  # fmt: skip

    router.get(path, summary=summary, responses=problem_responses(404), name=report.__name__)(route)


_findings(
    "/insights",
    "Findings over a workflow's funnel, each with its test and BH-corrected q-value",
    service.insights,
)
_findings(
    "/segments",
    "Who converts: lead attributes and behaviours with rate, interval, test",
    service.segments,
)


@router.get(
    "/forecast",
    summary="Weekly leads, appointments and deals forecast, each with its backtest",
)
def forecast(
    access: AccessDep,
    horizon: Annotated[int, Query(ge=4, le=26, description="Weeks ahead.")] = 8,
    holdout: Annotated[int, Query(ge=2, le=12, description="Weeks held out to test.")] = 4,
    history_weeks: Annotated[int, Query(ge=16, le=520)] = 52,
) -> dict[str, Any]:
    return service.forecast(
        access.runtime.store, access.principal, access.now(), history_weeks=history_weeks,
        horizon=horizon, holdout=holdout,
    )  # fmt: skip


@routed(
    router.get, "/agents", "Agent performance: speed to lead, appointments, deals, revenue", 404
)
def agents(
    access: AccessDep,
    flt: FiltersDep,
) -> dict[str, Any]:
    return service.agents(access.runtime.store, access.principal, flt)
