"""Tasks, owner assignments and agent profiles in the memory backend (the SQL rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from leadflow.model import playbooks
from leadflow.store.contract_playbooks import PlaybookStore
from leadflow.store.parts import MemoryPart


@dataclass(slots=True)
class _Tables:
    tasks: dict[int, playbooks.Task] = field(default_factory=dict)
    by_step: dict[str, int] = field(default_factory=dict)
    assignments: dict[str, playbooks.Assignment] = field(default_factory=dict)
    profiles: dict[tuple[str, str], playbooks.AgentProfile] = field(default_factory=dict)
    appointments: dict[int, playbooks.Appointment] = field(default_factory=dict)


_Owned = TypeVar("_Owned", playbooks.Task, playbooks.Appointment)


def _owned(found: _Owned | None, tenant_id: str) -> _Owned | None:
    """A copy of the record ``found`` when there is one and it is the tenant's."""
    return replace(found) if found is not None and found.tenant_id == tenant_id else None


class MemoryPlaybooks(MemoryPart, PlaybookStore):
    def _pb(self) -> _Tables:
        return self._table("_playbooks_data", _Tables)

    def create_task(self, task: playbooks.Task) -> tuple[playbooks.Task, bool]:
        with self._lock:
            t = self._pb()
            found = t.by_step.get(task.step_key)
            if found is not None:
                return replace(t.tasks[found]), False
            stored = replace(task, id=len(t.tasks) + 1)
            t.tasks[stored.id] = stored
            t.by_step[task.step_key] = stored.id
            return replace(stored), True

    def get_task(self, tenant_id: str, task_id: int) -> playbooks.Task | None:
        with self._lock:
            return _owned(self._pb().tasks.get(task_id), tenant_id)

    def list_tasks(self, q: playbooks.TaskFilter) -> list[playbooks.Task]:
        with self._lock:
            rows = [
                replace(t)
                for t in self._pb().tasks.values()
                if t.tenant_id == q.tenant_id
                and t.id > q.after_id
                and (q.assignees is None or t.assignee in q.assignees)
                and (q.status is None or t.status == q.status)
                and (q.contact_id is None or t.contact_id == q.contact_id)
            ]
        return sorted(rows, key=lambda t: t.id)[: q.limit]

    def update_task(self, task: playbooks.Task, expect_status: str | None = None) -> bool:
        with self._lock:
            found = self._pb().tasks.get(task.id)
            if found is None or found.tenant_id != task.tenant_id:
                return False
            if expect_status is not None and found.status != expect_status:
                return False
            self._pb().tasks[task.id] = replace(
                found,
                assignee=task.assignee,
                status=task.status,
                due_at=task.due_at,
                completed_at=task.completed_at,
                completed_by=task.completed_by,
                overdue_at=task.overdue_at,
            )
            return True

    def overdue_tasks(self, now: float, limit: int) -> list[playbooks.Task]:
        with self._lock:
            rows = [
                replace(t)
                for t in self._pb().tasks.values()
                if t.status == "open" and t.overdue_at is None and t.due_at <= now
            ]
        return sorted(rows, key=lambda t: (t.due_at, t.id))[:limit]

    def record_assignment(self, assignment: playbooks.Assignment) -> bool:
        with self._lock:
            found = self._pb().assignments
            if assignment.step_key in found:
                return False
            found[assignment.step_key] = assignment
            return True

    def list_assignments(
        self, tenant_id: str, contact_id: str | None = None, limit: int = 100
    ) -> list[playbooks.Assignment]:
        with self._lock:
            rows = [
                a
                for a in self._pb().assignments.values()
                if a.tenant_id == tenant_id and (contact_id is None or a.contact_id == contact_id)
            ]
        return sorted(rows, key=lambda a: (-a.assigned_at, a.step_key))[:limit]

    def last_assigned(self, tenant_id: str, member_keys: Sequence[str]) -> dict[str, float]:
        wanted = set(member_keys)
        out: dict[str, float] = {}
        with self._lock:
            for a in self._pb().assignments.values():
                if a.tenant_id == tenant_id and a.member_key in wanted:
                    out[a.member_key] = max(out.get(a.member_key, a.assigned_at), a.assigned_at)
        return out

    def save_agent_profile(self, profile: playbooks.AgentProfile) -> None:
        with self._lock:
            self._pb().profiles[(profile.tenant_id, profile.member_key)] = replace(
                profile, weekdays=list(profile.weekdays), areas=list(profile.areas)
            )

    def agent_profiles(self, tenant_id: str) -> list[playbooks.AgentProfile]:
        with self._lock:
            rows = [replace(p) for k, p in self._pb().profiles.items() if k[0] == tenant_id]
        return sorted(rows, key=lambda p: p.member_key)

    def book_appointment(self, appointment: playbooks.Appointment) -> playbooks.Appointment | None:
        a = appointment
        with self._lock:
            table = self._pb().appointments
            taken = any(
                x.status == "booked"
                and (x.tenant_id, x.agent, x.starts_at) == (a.tenant_id, a.agent, a.starts_at)
                for x in table.values()
            )
            if taken:
                return None
            stored = replace(a, id=len(table) + 1, status="booked")
            table[stored.id] = stored
            return replace(stored)

    def cancel_appointment(self, tenant_id: str, appointment_id: int, now: float) -> bool:
        with self._lock:
            found = self._pb().appointments.get(appointment_id)
            if found is None or found.tenant_id != tenant_id or found.status != "booked":
                return False
            found.status, found.cancelled_at = "cancelled", now
            return True

    def get_appointment(self, tenant_id: str, appointment_id: int) -> playbooks.Appointment | None:
        with self._lock:
            return _owned(self._pb().appointments.get(appointment_id), tenant_id)

    def list_appointments(self, flt: playbooks.AppointmentFilter) -> list[playbooks.Appointment]:
        with self._lock:
            rows = [
                replace(x)
                for x in self._pb().appointments.values()
                if x.tenant_id == flt.tenant_id
                and x.starts_at >= flt.since
                and (flt.agent is None or x.agent == flt.agent)
                and (flt.contact_id is None or x.contact_id == flt.contact_id)
                and (flt.status is None or x.status == flt.status)
            ]
        return sorted(rows, key=lambda x: (x.starts_at, x.id))
