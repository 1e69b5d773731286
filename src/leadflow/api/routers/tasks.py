"""``/api/v1/tasks``: tasks for people (from ``notify_agent`` nodes): list mine or my team's,
complete, snooze, reassign. Another tenant's task, or one outside the key's team, is a 404."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from leadflow.access import tasks as service
from leadflow.api.data.shape import Iso, IsoText, Record
from leadflow.api.deps import AccessDep
from leadflow.api.params import RowId
from leadflow.api.routes import routed
from leadflow.model.playbooks import Task

router = APIRouter(prefix="/tasks", tags=["tasks"])


class TaskOut(Record):
    id: int
    contact_id: str
    assignee: str
    title: str
    body: str | None
    label: str | None
    priority: str
    status: Literal["open", "done"]
    due_at: IsoText
    created_at: IsoText
    completed_at: Iso
    completed_by: str | None
    overdue: bool
    workflow_key: str | None
    run_id: int | None


def _out(t: Task) -> TaskOut:
    return TaskOut.of(
        t, status="done" if t.status == "done" else "open", overdue=t.overdue_at is not None
    )


class TaskList(BaseModel):
    items: list[TaskOut]


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: int = Field(ge=1, le=60 * 24 * 90, description="Due again this many minutes from now.")


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=64, description="MemberKey of an Active agent.")


@routed(router.get, "", "List my tasks or my team's", 403)
def list_tasks(
    access: AccessDep,
    which: Annotated[
        Literal["mine", "team"] | None,
        Query(description="Default: mine for an agent's or manager's key, team for an admin's."),
    ] = None,
    status: Literal["open", "done", "all"] = "open",
    contact_id: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Only the tasks about this contact."),
    ] = None,
    after_id: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> TaskList:
    if which is None:
        which = "mine" if access.principal.member_key else "team"
    found = service.list_tasks(
        access.runtime.store,
        access.principal,
        which,
        None if status == "all" else status,
        after_id,
        limit,
        contact_id,
    )
    return TaskList(items=[_out(t) for t in found])


@routed(router.get, "/{task_id}", "One task", 404)
def get_task(access: AccessDep, task_id: RowId) -> TaskOut:
    return _out(service.visible_task(access.runtime.store, access.principal, task_id))


@routed(router.post, "/{task_id}/complete", "Complete a task", 404, 409)
def complete_task(access: AccessDep, task_id: RowId) -> TaskOut:
    return _out(service.complete(access.runtime.store, access.principal, task_id, access.now()))


@routed(router.post, "/{task_id}/snooze", "Snooze a task", 404, 409)
def snooze_task(access: AccessDep, task_id: RowId, body: SnoozeIn) -> TaskOut:
    now = access.now()
    until = now + body.minutes * 60
    return _out(service.snooze(access.runtime.store, access.principal, task_id, until, now))


@routed(router.post, "/{task_id}/reassign", "Give a task to another agent", 403, 404)
def reassign_task(access: AccessDep, task_id: RowId, body: ReassignIn) -> TaskOut:
    return _out(service.reassign(access.runtime.store, access.principal, task_id, body.assignee))
