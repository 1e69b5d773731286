"""Playbook records: tasks for people, owner assignments with their reason, and each agent's
routing profile (working hours, the areas and lead sources it takes, availability).

The storage contract is :class:`~leadflow.store.contract_playbooks.PlaybookStore`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TASK_STATUSES = ("open", "done")
PRIORITIES = ("low", "normal", "high", "urgent")
ROUTING_RULES = ("round_robin", "area", "source", "team_lead", "owner", "manual")
TASK_COLS = (
    "id, tenant_id, contact_id, assignee, title, body, label, priority, status, due_at, "
    "created_at, completed_at, completed_by, overdue_at, run_id, workflow_key, step_key"
)
ASSIGNMENT_COLS = "tenant_id, contact_id, member_key, rule, reason, step_key, assigned_at"
PROFILE_COLS = (
    "tenant_id, member_key, time_zone, hours_start, hours_end, weekdays, urgent_after_hours, "
    "available, areas, sources, updated_at"
)


@dataclass(slots=True)
class Task:
    """A piece of work for a person (``assignee``: a RESO MemberKey of the tenant) about a
    contact. ``step_key`` (the creating step's idempotency key, or ``api:<uuid>``) makes
    creation idempotent. ``overdue_at`` is set once, when ``task.overdue`` was recorded."""

    tenant_id: str
    contact_id: str
    assignee: str
    title: str
    due_at: float
    step_key: str
    body: str | None = None
    label: str | None = None
    priority: str = "normal"
    status: str = "open"
    created_at: float = 0.0
    completed_at: float | None = None
    completed_by: str | None = None
    overdue_at: float | None = None
    run_id: int | None = None
    workflow_key: str | None = None
    id: int = 0

    def event_data(self, **more: Any) -> dict[str, Any]:
        """What a task event (``task.created`` ...) carries, then ``more``."""
        return {
            "task_id": self.id,
            "assignee": self.assignee,
            "title": self.title,
            "priority": self.priority,
            "label": self.label,
            "due_at": self.due_at,
            **more,
        }


@dataclass(slots=True)
class TaskFilter:
    """Which of a tenant's tasks to list: of these assignees (None: any), in this status."""

    tenant_id: str
    assignees: list[str] | None = None
    status: str | None = None
    contact_id: str | None = None
    after_id: int = 0
    limit: int = 100


@dataclass(slots=True, frozen=True)
class AppointmentFilter:
    """Which of a tenant's appointments to list: starting at or after ``since``, of this agent
    and contact (None: any), in this status (None: any)."""

    tenant_id: str
    agent: str | None = None
    contact_id: str | None = None
    since: float = 0.0
    status: str | None = "booked"


@dataclass(slots=True, frozen=True)
class Assignment:
    """An owner given to a contact, by which rule and why (e.g. ``round_robin``, "team buyers:
    next in turn after a1")."""

    tenant_id: str
    contact_id: str
    member_key: str
    rule: str
    reason: str
    step_key: str
    assigned_at: float = 0.0


@dataclass(slots=True)
class AgentProfile:
    """What routing and notices know of an agent: working hours (``HH:MM`` in ``time_zone``,
    on ``weekdays``, empty = every day), whether urgent tasks may reach the agent outside them,
    whether the agent takes new leads now, the ZIP codes / areas and lead sources it takes."""

    tenant_id: str
    member_key: str
    time_zone: str = "America/New_York"
    hours_start: str = "09:00"
    hours_end: str = "18:00"
    weekdays: list[str] = field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    urgent_after_hours: bool = False
    available: bool = True
    areas: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    updated_at: float = 0.0


APPOINTMENT_COLS = (
    "id, tenant_id, agent, contact_id, starts_at, ends_at, status, created_at, cancelled_at, "
    "replaces"
)


@dataclass(slots=True)
class Appointment:
    """A booked slot of an agent with a lead (``status`` booked | cancelled). At most one booked
    appointment per (tenant, agent, start): the store refuses a second one."""

    tenant_id: str
    agent: str
    contact_id: str
    starts_at: float
    ends_at: float
    status: str = "booked"
    created_at: float = 0.0
    cancelled_at: float | None = None
    replaces: int | None = None  # the appointment this one rescheduled
    id: int = 0
