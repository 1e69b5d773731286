"""Tasks, owner assignments and agent profiles on SQLite and PostgreSQL (one SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.model import playbooks
from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.playbooks import APPOINTMENT_COLS, ASSIGNMENT_COLS, PROFILE_COLS, TASK_COLS
from leadflow.store.codec import opt_float, opt_int, row_reader, row_writer
from leadflow.store.contract_playbooks import PlaybookStore
from leadflow.store.parts import SqlPart

_INSERT_COLS = TASK_COLS.removeprefix("id, ")


def _json_list(text: Any) -> list[Any]:
    return list(loads(text) or [])


_task = row_reader(
    playbooks.Task,
    TASK_COLS,
    {
        "due_at": float,
        "created_at": float,
        "completed_at": opt_float,
        "overdue_at": opt_float,
        "run_id": opt_int,
        "id": int,
    },
)
_task_values = row_writer(playbooks.Task, _INSERT_COLS)
_profile = row_reader(
    playbooks.AgentProfile,
    PROFILE_COLS,
    {
        "weekdays": _json_list,
        "urgent_after_hours": bool,
        "available": bool,
        "areas": _json_list,
        "sources": _json_list,
        "updated_at": float,
    },
)
_appointment = row_reader(
    playbooks.Appointment,
    APPOINTMENT_COLS,
    {
        "starts_at": float,
        "ends_at": float,
        "created_at": float,
        "cancelled_at": opt_float,
        "replaces": opt_int,
        "id": int,
    },
)


class SqlPlaybooks(SqlPart, PlaybookStore):
    def create_task(self, task: playbooks.Task) -> tuple[playbooks.Task, bool]:
        sql = self._dialect.sql
        values = _task_values(task)
        marks = ", ".join("?" * len(values))
        with self._write() as conn:
            created = conn.execute(
                sql(
                    f"INSERT INTO tasks ({_INSERT_COLS}) VALUES ({marks}) "
                    "ON CONFLICT (step_key) DO NOTHING"
                ),
                values,
            ).rowcount
            row = conn.execute(
                sql(f"SELECT {TASK_COLS} FROM tasks WHERE step_key = ?"), (task.step_key,)
            ).fetchone()
        return _task(row), bool(created)

    def get_task(self, tenant_id: str, task_id: int) -> playbooks.Task | None:
        return self._fetch_one_as(
            _task,
            f"SELECT {TASK_COLS} FROM tasks WHERE tenant_id = ? AND id = ?",
            (tenant_id, task_id),
        )

    def list_tasks(self, q: playbooks.TaskFilter) -> list[playbooks.Task]:
        where, params = ["tenant_id = ?", "id > ?"], [q.tenant_id, q.after_id]
        if q.assignees is not None:
            if not q.assignees:
                return []
            where.append(f"assignee IN ({', '.join('?' * len(q.assignees))})")
            params += q.assignees
        if q.status is not None:
            where.append("status = ?")
            params.append(q.status)
        if q.contact_id is not None:
            where.append("contact_id = ?")
            params.append(q.contact_id)
        return self._fetch_as(
            _task,
            f"SELECT {TASK_COLS} FROM tasks WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
            (*params, q.limit),
        )

    def update_task(self, task: playbooks.Task, expect_status: str | None = None) -> bool:
        guard = " AND status = ?" if expect_status is not None else ""
        params: tuple[Any, ...] = (
            task.assignee,
            task.status,
            task.due_at,
            task.completed_at,
            task.completed_by,
            task.overdue_at,
            task.tenant_id,
            task.id,
        )
        if expect_status is not None:
            params += (expect_status,)
        return bool(
            self._change(
                "UPDATE tasks SET assignee = ?, status = ?, due_at = ?, completed_at = ?, "
                f"completed_by = ?, overdue_at = ? WHERE tenant_id = ? AND id = ?{guard}",
                params,
            )
        )

    def overdue_tasks(self, now: float, limit: int) -> list[playbooks.Task]:
        return self._fetch_as(
            _task,
            f"SELECT {TASK_COLS} FROM tasks WHERE status = 'open' AND overdue_at IS NULL "
            "AND due_at <= ? ORDER BY due_at, id LIMIT ?",
            (now, limit),
        )

    def record_assignment(self, assignment: playbooks.Assignment) -> bool:
        a = assignment
        return bool(
            self._change(
                f"INSERT INTO owner_assignments ({ASSIGNMENT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (step_key) DO NOTHING",
                (
                    a.tenant_id,
                    a.contact_id,
                    a.member_key,
                    a.rule,
                    a.reason,
                    a.step_key,
                    a.assigned_at,
                ),
            )
        )

    def list_assignments(
        self, tenant_id: str, contact_id: str | None = None, limit: int = 100
    ) -> list[playbooks.Assignment]:
        extra, params = "", [tenant_id]
        if contact_id is not None:
            extra, params = " AND contact_id = ?", [tenant_id, contact_id]
        rows = self._fetch(
            f"SELECT {ASSIGNMENT_COLS} FROM owner_assignments WHERE tenant_id = ?{extra} "
            "ORDER BY assigned_at DESC, step_key LIMIT ?",
            (*params, limit),
        )
        return [playbooks.Assignment(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6])) for r in rows]

    def last_assigned(self, tenant_id: str, member_keys: Sequence[str]) -> dict[str, float]:
        if not member_keys:
            return {}
        marks = ", ".join("?" * len(member_keys))
        rows = self._fetch(
            "SELECT member_key, MAX(assigned_at) FROM owner_assignments WHERE tenant_id = ? "
            f"AND member_key IN ({marks}) GROUP BY member_key",
            (tenant_id, *member_keys),
        )
        return {str(r[0]): float(r[1]) for r in rows}

    def save_agent_profile(self, profile: playbooks.AgentProfile) -> None:
        p = profile
        self._change(
            f"INSERT INTO agent_profiles ({PROFILE_COLS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, member_key) DO UPDATE SET "
            "time_zone = excluded.time_zone, hours_start = excluded.hours_start, "
            "hours_end = excluded.hours_end, weekdays = excluded.weekdays, "
            "urgent_after_hours = excluded.urgent_after_hours, available = excluded.available, "
            "areas = excluded.areas, sources = excluded.sources, updated_at = excluded.updated_at",
            (
                p.tenant_id,
                p.member_key,
                p.time_zone,
                p.hours_start,
                p.hours_end,
                dumps(list(p.weekdays)),
                int(p.urgent_after_hours),
                int(p.available),
                dumps(list(p.areas)),
                dumps(list(p.sources)),
                p.updated_at,
            ),
        )

    def agent_profiles(self, tenant_id: str) -> list[playbooks.AgentProfile]:
        return self._fetch_as(
            _profile,
            f"SELECT {PROFILE_COLS} FROM agent_profiles WHERE tenant_id = ? ORDER BY member_key",
            (tenant_id,),
        )

    def book_appointment(self, appointment: playbooks.Appointment) -> playbooks.Appointment | None:
        a = appointment
        cols = APPOINTMENT_COLS.removeprefix("id, ")
        with self._write() as conn:
            row = conn.execute(
                self._dialect.sql(
                    f"INSERT INTO appointments ({cols}) VALUES (?, ?, ?, ?, ?, 'booked', ?, "
                    "NULL, ?) ON CONFLICT DO NOTHING RETURNING id"
                ),
                (
                    a.tenant_id,
                    a.agent,
                    a.contact_id,
                    a.starts_at,
                    a.ends_at,
                    a.created_at,
                    a.replaces,
                ),
            ).fetchone()
        if row is None:
            return None
        return playbooks.Appointment(
            a.tenant_id,
            a.agent,
            a.contact_id,
            a.starts_at,
            a.ends_at,
            "booked",
            a.created_at,
            None,
            a.replaces,
            int(row[0]),
        )

    def cancel_appointment(self, tenant_id: str, appointment_id: int, now: float) -> bool:
        return bool(
            self._change(
                "UPDATE appointments SET status = 'cancelled', cancelled_at = ? "
                "WHERE tenant_id = ? AND id = ? AND status = 'booked'",
                (now, tenant_id, appointment_id),
            )
        )

    def get_appointment(self, tenant_id: str, appointment_id: int) -> playbooks.Appointment | None:
        return self._fetch_one_as(
            _appointment,
            f"SELECT {APPOINTMENT_COLS} FROM appointments WHERE tenant_id = ? AND id = ?",
            (tenant_id, appointment_id),
        )

    def list_appointments(self, flt: playbooks.AppointmentFilter) -> list[playbooks.Appointment]:
        where, params = ["tenant_id = ?", "starts_at >= ?"], [flt.tenant_id, flt.since]
        wanted = (("agent", flt.agent), ("contact_id", flt.contact_id), ("status", flt.status))
        for column, value in wanted:
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        return self._fetch_as(
            _appointment,
            f"SELECT {APPOINTMENT_COLS} FROM appointments WHERE {' AND '.join(where)} "
            "ORDER BY starts_at, id",
            tuple(params),
        )
