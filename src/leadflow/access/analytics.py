"""Analytics reports in the caller's scope: an agent's numbers are its own leads' and deals', a
manager's its team's, an admin's the whole tenant's. Every name that arrives (a workflow, an
agent, a team) resolves in the caller's tenant or is not found."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.access.scope import scope_of
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
    since: float | None = None,
    until: float | None = None,
    agent: str | None = None,
    team: str | None = None,
    source: str | None = None,
    tag: str | None = None,
) -> Filters:
    """The filters of a report; an agent or team of another tenant (or none) is not found."""
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
    if since is not None and until is not None and until <= since:
        raise InvalidInput("until: must be after since")
    return Filters(since=since, until=until, agents=agents, source=source, tag=tag)


def funnel_data(
    store: Store,
    principal: Principal,
    workflow: str,
    flt: Filters,
    goals: Sequence[str] = (),
    window_days: float = 30.0,
) -> funnels.FunnelData:
    """Every set of the funnel, for the analyses that intersect them (insights, segments)."""
    scope = scope_of(store, principal)
    return funnels.load(store, scope, workflow, flt, goals=goals, window_days=window_days)


def funnel_counts(
    store: Store,
    principal: Principal,
    workflow: str,
    flt: Filters,
    goals: Sequence[str] = (),
    window_days: float = 30.0,
) -> funnels.Funnel:
    """The funnel counted in the store (its numbers, and the contacts behind each on demand)."""
    scope = scope_of(store, principal)
    return funnels.compute(store, scope, workflow, flt, goals=goals, window_days=window_days)


def funnel(
    store: Store,
    principal: Principal,
    workflow: str,
    flt: Filters,
    goals: Sequence[str] = (),
    window_days: float = 30.0,
) -> dict[str, Any]:
    """The workflow's funnel per version and node (see :mod:`leadflow.analytics.funnel`)."""
    return funnels.report(funnel_counts(store, principal, workflow, flt, goals, window_days))


def insights(
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
    """The findings over the workflow's funnel, BH-corrected, each with its evidence."""
    if not 0 < alpha < 1 or min_n < 5:
        raise InvalidInput("alpha: between 0 and 1; min_n: at least 5")
    data = funnel_data(store, principal, workflow, flt, goals, window_days)
    out = find_insights(data, alpha=alpha, min_n=min_n).as_json()
    out["workflow"] = workflow
    return out


def segments(
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
    """Who converts: segments of the workflow's runs with their rates, intervals and tests."""
    if not 0 < alpha < 1 or min_n < 5:
        raise InvalidInput("alpha: between 0 and 1; min_n: at least 5")
    data = funnel_data(store, principal, workflow, flt, goals, window_days)
    out = who_converts(data, alpha=alpha, min_n=min_n)
    out["workflow"] = workflow
    return out


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
    data = funnel_counts(store, principal, workflow, flt, goals, window_days)
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


def cohorts(
    store: Store,
    principal: Principal,
    workflow: str,
    flt: Filters,
    now: float,
    *,
    goals: Sequence[str] = (),
    period: str = "week",
    weeks: int = 12,
    by_source: bool = False,
) -> dict[str, Any]:
    """The workflow's cohort grid over the runs the caller may see."""
    scope = scope_of(store, principal)
    return cohort_grid(
        store, scope, workflow, flt, now, goals=goals, period=period, weeks=weeks,
        by_source=by_source,
    )  # fmt: skip


def forecast(
    store: Store,
    principal: Principal,
    now: float,
    *,
    history_weeks: int = 52,
    horizon: int = 8,
    holdout: int = 4,
) -> dict[str, Any]:
    """Weekly leads, appointments and deals of the caller's scope, forecast with backtests."""
    if not 4 <= horizon <= 26 or not 2 <= holdout <= 12 or not 16 <= history_weeks <= 520:
        raise InvalidInput("horizon 4..26, holdout 2..12, history_weeks 16..520")
    scope = scope_of(store, principal)
    return weekly_forecasts(
        store, scope, now, history_weeks=history_weeks, horizon=horizon, holdout=holdout
    )


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
