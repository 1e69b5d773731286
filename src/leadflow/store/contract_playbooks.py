"""The playbook methods of the store contract: tasks, owner assignments, agent profiles (see
:mod:`leadflow.model.playbooks`)."""

from __future__ import annotations

import abc
from collections.abc import Sequence

from leadflow.model.playbooks import (
    AgentProfile,
    Appointment,
    AppointmentFilter,
    Assignment,
    Task,
    TaskFilter,
)


class PlaybookStore(abc.ABC):
    """The playbook methods of the store contract."""

    @abc.abstractmethod
    def create_task(self, task: Task) -> tuple[Task, bool]:
        """Add ``task`` unless a task with its ``step_key`` exists; (the stored task with its
        id, whether this call created it)."""

    @abc.abstractmethod
    def get_task(self, tenant_id: str, task_id: int) -> Task | None:
        """The tenant's task (None for another tenant's or an unknown id)."""

    @abc.abstractmethod
    def list_tasks(self, q: TaskFilter) -> list[Task]:
        """The tenant's tasks matching ``q``, by id, after ``q.after_id``, at most ``q.limit``."""

    @abc.abstractmethod
    def update_task(self, task: Task, expect_status: str | None = None) -> bool:
        """Write ``task``'s assignee, status, due time, completion and overdue mark (by tenant
        and id); with ``expect_status`` only while the stored status is that. True when written."""

    @abc.abstractmethod
    def overdue_tasks(self, now: float, limit: int) -> list[Task]:
        """Open tasks due at or before ``now`` whose overdue mark is not set, by due time."""

    @abc.abstractmethod
    def record_assignment(self, assignment: Assignment) -> bool:
        """Record an assignment unless its ``step_key`` is recorded; True when new."""

    @abc.abstractmethod
    def list_assignments(
        self, tenant_id: str, contact_id: str | None = None, limit: int = 100
    ) -> list[Assignment]:
        """The tenant's assignments (of one contact), newest first."""

    @abc.abstractmethod
    def last_assigned(self, tenant_id: str, member_keys: Sequence[str]) -> dict[str, float]:
        """When each of these agents was last given a contact (agents never given one absent)."""

    @abc.abstractmethod
    def save_agent_profile(self, profile: AgentProfile) -> None:
        """Insert or replace the agent's profile."""

    @abc.abstractmethod
    def agent_profiles(self, tenant_id: str) -> list[AgentProfile]:
        """The tenant's agent profiles by member_key."""

    @abc.abstractmethod
    def book_appointment(self, appointment: Appointment) -> Appointment | None:
        """Store a booked appointment; None (nothing written) when the agent's slot at that
        start is booked already, also against a concurrent booking."""

    @abc.abstractmethod
    def cancel_appointment(self, tenant_id: str, appointment_id: int, now: float) -> bool:
        """Cancel a booked appointment of the tenant; False when none is booked with that id."""

    @abc.abstractmethod
    def get_appointment(self, tenant_id: str, appointment_id: int) -> Appointment | None: ...

    @abc.abstractmethod
    def list_appointments(self, flt: AppointmentFilter) -> list[Appointment]:
        """The tenant's appointments starting at or after ``since``, by start."""


__all__ = ["PlaybookStore"]
