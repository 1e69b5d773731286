"""Tasks as a person sees them: mine, my team's (managers; admins: the whole tenant), complete,
snooze, reassign. A task outside what the key may see is NotFound, the same answer as an id
that does not exist. Completing records ``task.completed`` for the task's contact, which the
contact's workflows can wait on (Hot Lead Acceleration ends on it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.errors import Conflict, InvalidInput, NotFound
from leadflow.model.playbooks import Task, TaskFilter
from leadflow.playbooks.tasks import task_event
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

Which = Literal["mine", "team"]


def _team_members(store: Store, principal: Principal) -> list[str] | None:
    """Whose tasks ``team`` means: None (every one) for an admin, else the caller's team."""
    if principal.role == "admin":
        return None
    team = principal.team_key
    if team is None and principal.member_key:
        agent = store.get_agent(principal.tenant_id, principal.member_key)
        team = agent.team_key if agent else None
    own = [principal.member_key] if principal.member_key else []
    if team is None:
        return own
    return sorted({a.member_key for a in store.list_agents(principal.tenant_id, team)} | set(own))


def _visible_to(store: Store, principal: Principal) -> set[str] | None:
    if principal.role == "admin":
        return None
    if principal.role == "manager":
        return set(_team_members(store, principal) or [])
    return {principal.member_key} if principal.member_key else set()


def list_tasks(
    store: Store,
    principal: Principal,
    which: Which = "mine",
    status: str | None = "open",
    after_id: int = 0,
    limit: int = 100,
    contact_id: str | None = None,
) -> list[Task]:
    """The tasks the principal sees (``which``), of one contact when ``contact_id`` is given
    (a contact of another tenant has none here)."""
    if which == "mine":
        if not principal.member_key:
            raise InvalidInput("which: this key names no agent, so it has no tasks; ask for team")
        assignees: list[str] | None = [principal.member_key]
    else:
        assignees = _team_members(store, principal)
    q = TaskFilter(
        principal.tenant_id, assignees, status, contact_id, after_id=after_id, limit=limit
    )
    return store.list_tasks(q)


def visible_task(store: Store, principal: Principal, task_id: int) -> Task:
    found = store.get_task(principal.tenant_id, task_id)
    allowed = _visible_to(store, principal)
    if found is None or (allowed is not None and found.assignee not in allowed):
        raise NotFound(f"no task {task_id}")
    return found


def complete(store: Store, principal: Principal, task_id: int, now: float) -> Task:
    task = visible_task(store, principal, task_id)
    if task.status == "done":
        raise Conflict(f"task {task_id} is already done")
    done = replace(task, status="done", completed_at=now, completed_by=_who(principal))
    if not store.update_task(done, expect_status="open"):
        raise Conflict(f"task {task_id} is already done")
    store.append_events([task_event("task.completed", done, now, by=done.completed_by)], now)
    return done


def snooze(store: Store, principal: Principal, task_id: int, until: float, now: float) -> Task:
    task = visible_task(store, principal, task_id)
    if task.status == "done":
        raise Conflict(f"task {task_id} is done; only an open task can be snoozed")
    if until <= now:
        raise InvalidInput("until: must be in the future")
    moved = replace(task, due_at=until, overdue_at=None)
    if not store.update_task(moved, expect_status="open"):
        raise Conflict(f"task {task_id} is done; only an open task can be snoozed")
    return moved


def reassign(store: Store, principal: Principal, task_id: int, assignee: str) -> Task:
    require_role(principal, WRITE_ROLES, "reassigning a task")
    task = visible_task(store, principal, task_id)
    agent = store.get_agent(principal.tenant_id, assignee)
    if agent is None or agent.status != "Active":
        raise InvalidInput(f"assignee: no Active agent {assignee!r} in this tenant")
    allowed = _visible_to(store, principal)
    if allowed is not None and assignee not in allowed:
        raise InvalidInput(f"assignee: {assignee!r} is not in your team")
    moved = replace(task, assignee=assignee)
    if not store.update_task(moved):
        raise NotFound(f"no task {task_id}")
    return moved


def _who(principal: Principal) -> str:
    return principal.member_key or f"key:{principal.key_id}"


__all__ = ["complete", "list_tasks", "reassign", "snooze", "visible_task"]
