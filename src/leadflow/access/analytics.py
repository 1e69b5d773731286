"""Analytics reports in the caller's scope: an agent's numbers are its own leads' and deals', a
manager's its team's, an admin's the whole tenant's. Every name that arrives (a workflow, an
agent, a team) resolves in the caller's tenant or is not found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from leadflow.access.scope import for_principal, scope_of
from leadflow.analytics import funnel as funnels
from leadflow.analytics.agents import HUMAN_TOUCH_EVENTS, agent_rows, agents_json
from leadflow.analytics.attribution import (
    MODELS,
    Touch,
    attribute,
    attribution_json,
    human_touches,
)
from leadflow.analytics.cohorts import cohorts as cohort_grid
from leadflow.analytics.filters import Filters
from leadflow.analytics.forecast import forecasts as weekly_forecasts
from leadflow.analytics.insights import insights as find_insights
from leadflow.analytics.segments import segments as who_converts
from leadflow.clock import day_start
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.deals import DealFilter
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

BY = ("workflow", "node", "channel", "message")
BASES = ("price", "commission")


def filters(
    store: Store,
    principal: Principal,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    agent: str | None = None,
    team: str | None = None,
    source: str | None = None,
    tag: str | None = None,
) -> Filters:
    """The filters of a report, from ``since`` to ``until`` (UTC days, each from its start); an
    agent or team of another tenant (or none) is not found."""
    tenant = principal.tenant_id
    agents: frozenset[str] | None = None
    if agent is not None:
        if store.get_agent(tenant, agent) is None:
            raise NotFound(f"no agent {agent!r}")
        agents = frozenset({agent})
    if team is not None:
        if team not in {t.team_key for t in store.list_teams(tenant)}:
            raise NotFound(f"no team {team!r}")
        members = frozenset(a.member_key for a in store.list_agents(tenant, team))
        agents = members if agents is None else agents & members
    start, end = day_start(since), day_start(until)
    if start is not None and end is not None and end <= start:
        raise InvalidInput("until: must be after since")
    return Filters(since=start, until=end, agents=agents, source=source, tag=tag)


# The reports that need nothing but the caller's scope, over it.
_funnel_counts = for_principal(funnels.compute)
_funnel_data = for_principal(funnels.load)
cohorts = for_principal(cohort_grid)
forecast = for_principal(weekly_forecasts)


def funnel(
    store: Store,
    principal: Principal,
    workflow: str,
    flt: Filters,
    goals: Sequence[str] = (),
    window_days: float = 30.0,
) -> dict[str, Any]:
    """The workflow's funnel per version and node (see :mod:`leadflow.analytics.funnel`)."""
    counts = _funnel_counts(store, principal, workflow, flt, goals=goals, window_days=window_days)
    return funnels.report(counts)


Analysis = Callable[[funnels.FunnelData, float, int], dict[str, Any]]


def _tested_report(name: str, analysis: Analysis, doc: str) -> Callable[..., dict[str, Any]]:
    """A report over every set of a workflow's funnel (``insights``, ``segments``: the analyses
    that intersect them): ``analysis(data, alpha, min_n)`` with the workflow's key, once the
    significance level and minimum sample are in range."""

    def report(
        store: Store,
        principal: Principal,
        workflow: str,
        flt: Filters,
        goals: Sequence[str] = (),
        window_days: float = 30.0,
        *,
        alpha: float = 0.05,
        min_n: int = 30,
    ) -> dict[str, Any]:
        if not 0 < alpha < 1 or min_n < 5:
            raise InvalidInput("alpha: between 0 and 1; min_n: at least 5")
        data = _funnel_data(store, principal, workflow, flt, goals=goals, window_days=window_days)
        return {**analysis(data, alpha, min_n), "workflow": workflow}

    report.__name__ = report.__qualname__ = name
    report.__doc__ = doc
    return report


insights = _tested_report(
    "insights",
    lambda data, alpha, min_n: find_insights(data, alpha=alpha, min_n=min_n).as_json(),
    "The findings over the workflow's funnel, BH-corrected, each with its evidence.",
)
segments = _tested_report(
    "segments",
    lambda data, alpha, min_n: who_converts(data, alpha=alpha, min_n=min_n),
    "Who converts: segments of the workflow's runs with their rates, intervals and tests.",
)


def funnel_contacts(
    store: Store,
    principal: Principal,
    workflow: str,
    flt: Filters,
    *,
    metric: str,
    version: int | None = None,
    node: str | None = None,
    goals: Sequence[str] = (),
    window_days: float = 30.0,
    after: str | None = None,
    limit: int = 100,
) -> tuple[list[str], str | None]:
    """The contacts behind one number of the funnel, by id: (page, next)."""
    data = _funnel_counts(store, principal, workflow, flt, goals=goals, window_days=window_days)
    if node is not None and not any(n == node for _, n, _ in data.nodes):
        raise NotFound(f"no node {node!r} in workflow {workflow!r}")
    key = funnels.metric_key(version, node, metric)
    return funnels.drill(data, key, after, limit)


def attribution(
    store: Store,
    principal: Principal,
    flt: Filters,
    *,
    by: str = "workflow",
    basis: str = "price",
    lookback_days: float = 90.0,
    half_life_days: float = 7.0,
) -> dict[str, Any]:
    """The deals the caller may see (closed in the filter's range), credited in every model."""
    if by not in BY:
        raise InvalidInput(f"by: must be one of {', '.join(BY)}")
    if basis not in BASES:
        raise InvalidInput(f"basis: must be one of {', '.join(BASES)}")
    if lookback_days <= 0 or half_life_days <= 0:
        raise InvalidInput("lookback_days/half_life_days: must be more than 0")
    scope = scope_of(store, principal)
    agents = scope.owners
    if flt.agents is not None:
        agents = flt.agents if agents is None else agents & flt.agents
    deals = store.list_deals(
        DealFilter(scope.tenant_id, agents=agents, since=flt.since, until=flt.until, limit=1 << 62)
    )
    contacts = store.contacts_in_scope(scope, {d.contact_id for d in deals if d.contact_id})
    messages: dict[str, list[Any]] = {}
    for m in store.messages_of_contacts(contacts):
        messages.setdefault(m.contact_id or "", []).append(m)
    human: dict[str, list[Touch]] = {}
    for e in store.contact_events(contacts, HUMAN_TOUCH_EVENTS, 0.0):
        human.setdefault(e.contact_id or "", []).extend(human_touches([e]))
    result = attribute(
        deals,
        messages,
        human_by_contact=human,
        by=by,
        basis=basis,
        lookback_days=lookback_days,
        half_life_days=half_life_days,
    )
    out = attribution_json(result)
    out.update(basis=basis, lookback_days=lookback_days, half_life_days=half_life_days)
    return out


def agents(store: Store, principal: Principal, flt: Filters) -> dict[str, Any]:
    """Agent performance for the agents the caller may see."""
    return agents_json(agent_rows(store, scope_of(store, principal), flt))


__all__ = [
    "BASES",
    "BY",
    "MODELS",
    "agents",
    "attribution",
    "cohorts",
    "filters",
    "forecast",
    "funnel",
    "funnel_contacts",
    "insights",
    "segments",
]
