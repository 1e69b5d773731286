"""Agent performance: per agent (RESO Member) the leads it owns, its speed to lead (median
minutes from ``lead.created`` to the first automated touch -- a message sent -- and to the
first human touch -- a call or task event), appointments booked, deals closed and their
revenue, and its tasks (created in the range): how many, done, and the share done on time
among those that came due (done by their due time, against done late or recorded overdue and
still open; a task not yet due counts in neither), with per-team totals. The scope decides whose
rows exist: an agent sees itself, a manager its team, an admin everyone."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from leadflow.analytics.filters import Filters
from leadflow.model.deals import DealFilter, money
from leadflow.model.playbooks import Task, TaskFilter
from leadflow.model.records import Contact, ContactFilter, Scope
from leadflow.store.contract import Store
from leadflow.store.lead_facts import LeadEvents, LeadSelection, expand

LEAD_EVENT = "lead.created"
APPOINTMENT_EVENT = "appointment.booked"
HUMAN_TOUCH_EVENTS = ("call.completed", "call.logged", "task.completed", "agent.touched")
_PAGE = 1000


@dataclass(slots=True)
class AgentRow:
    agent: str
    team: str | None
    name: str
    leads: int = 0
    minutes_to_auto: list[float] = field(default_factory=list)
    minutes_to_human: list[float] = field(default_factory=list)
    appointments: int = 0
    deals: int = 0
    volume: int = 0  # ClosePrice cents
    commission: int = 0  # cents
    tasks: int = 0
    tasks_done: int = 0
    tasks_due: int = 0  # done, or past due and recorded overdue
    tasks_on_time: int = 0  # done by their due time

    def as_json(self) -> dict[str, Any]:

        def med(xs: list[float]) -> float | None:
            return round(statistics.median(xs), 1) if xs else None

        return {
            "agent": self.agent,
            "team": self.team,
            "name": self.name,
            "leads": self.leads,
            "speed_to_lead_auto_min": med(self.minutes_to_auto),
            "auto_touched": len(self.minutes_to_auto),
            "speed_to_lead_human_min": med(self.minutes_to_human),
            "human_touched": len(self.minutes_to_human),
            "tasks": self.tasks,
            "tasks_done": self.tasks_done,
            "tasks_on_time": (
                round(self.tasks_on_time / self.tasks_due, 4) if self.tasks_due else None
            ),
            "appointments": self.appointments,
            "deals": self.deals,
            "revenue": money(self.volume),
            "commission": money(self.commission),
        }


def _owned(store: Store, scope: Scope) -> list[Contact]:
    out: list[Contact] = []
    after: str | None = None
    while True:
        page = store.find_contacts(ContactFilter(scope=scope, after_id=after, limit=_PAGE))
        out += page
        if len(page) < _PAGE:
            return out
        after = page[-1].id


def agent_rows(store: Store, scope: Scope, flt: Filters) -> list[AgentRow]:
    """One row per agent the scope may see (``flt.agents`` narrows further: one agent or a
    team), counting the leads created in the filter's range."""
    agents = [
        a
        for a in store.list_agents(scope.tenant_id)
        if (scope.owners is None or a.member_key in scope.owners)
        and (flt.agents is None or a.member_key in flt.agents)
    ]
    rows = {
        a.member_key: AgentRow(
            a.member_key, a.team_key, " ".join(x for x in (a.first_name, a.last_name) if x)
        )
        for a in agents
    }
    keys = frozenset(rows)
    allowed: frozenset[str] | None = None
    if flt.source is not None or flt.tag is not None:
        narrow = Filters(source=flt.source, tag=flt.tag)
        allowed = frozenset(
            c.id for c in _owned(store, Scope(scope.tenant_id, keys)) if narrow.allows(c)
        )
    counts = store.lead_counts(
        LeadSelection(scope.tenant_id, keys, flt.since, flt.until, allowed),
        LeadEvents(LEAD_EVENT, HUMAN_TOUCH_EVENTS, APPOINTMENT_EVENT),
    )
    for key, agent in rows.items():
        agent.leads = counts.leads.get(key, 0)
        agent.minutes_to_auto = expand(counts.to_auto.get(key))
        agent.minutes_to_human = expand(counts.to_human.get(key))
        agent.appointments = counts.appointments.get(key, 0)
    deals = store.list_deals(
        DealFilter(scope.tenant_id, agents=keys, since=flt.since, until=flt.until, limit=1 << 62)
    )
    for d in deals:
        row = rows.get(d.agent_key or "")
        if row is not None:
            row.deals += 1
            row.volume += d.close_price
            row.commission += d.commission or 0
    for task in _tasks(store, scope.tenant_id, sorted(keys)):
        row = rows.get(task.assignee)
        if row is None or not flt.in_range(task.created_at):
            continue
        row.tasks += 1
        done_at = task.completed_at
        row.tasks_done += done_at is not None
        if done_at is not None or task.overdue_at is not None:
            row.tasks_due += 1
            row.tasks_on_time += done_at is not None and done_at <= task.due_at
    return sorted(rows.values(), key=lambda r: r.agent)


def _tasks(store: Store, tenant_id: str, assignees: list[str]) -> list[Task]:
    out: list[Task] = []
    after = 0
    while assignees:
        page = store.list_tasks(TaskFilter(tenant_id, assignees, after_id=after, limit=_PAGE))
        out += page
        if len(page) < _PAGE:
            break
        after = page[-1].id
    return out


def teams_of(rows: list[AgentRow]) -> list[AgentRow]:
    """Per-team totals (medians pooled over the team's leads)."""
    teams: dict[str, AgentRow] = {}
    for r in rows:
        if r.team is None:
            continue
        t = teams.setdefault(r.team, AgentRow(r.team, r.team, f"team {r.team}"))
        t.leads += r.leads
        t.minutes_to_auto += r.minutes_to_auto
        t.minutes_to_human += r.minutes_to_human
        t.appointments += r.appointments
        t.deals += r.deals
        t.volume += r.volume
        t.commission += r.commission
        t.tasks += r.tasks
        t.tasks_done += r.tasks_done
        t.tasks_due += r.tasks_due
        t.tasks_on_time += r.tasks_on_time
    return sorted(teams.values(), key=lambda t: t.agent)


def agents_json(rows: list[AgentRow]) -> dict[str, Any]:
    return {
        "agents": [r.as_json() for r in rows],
        "teams": [t.as_json() for t in teams_of(rows)],
        "notes": [
            "tasks_on_time: the share of the tasks that came due (done, or recorded overdue) "
            "that were done by their due time; null when none came due"
        ],
    }


__all__ = ["HUMAN_TOUCH_EVENTS", "AgentRow", "agent_rows", "agents_json", "teams_of"]
