"""The ``notify_agent`` node, task events, and the job that records overdue tasks.

A task goes to the contact's owner (``to: owner``) or the owner's team lead (``to:
team_lead``); when that person is missing or not Active: the team lead, then an agent chosen by
round robin. The agent is told through the outbox (a text to the agent's mobile phone, an
e-mail to the agent's address); the message carries ``payload.agent_notice`` with the agent's
working hours, which the compliance policy applies instead of the lead's consent and windows
(an urgent task leaves outside them only when the agent allows it: ``urgent_after_hours``).
Task events (``task.created``, ``task.completed``, ``task.overdue``) are the lead's events, so
the lead's workflows can wait on them or reach a goal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadflow.definitions import models as m
from leadflow.definitions.durations import parse_duration
from leadflow.engine.context import Go, Result, StepContext
from leadflow.errors import PermanentStepError
from leadflow.model.playbooks import AgentProfile, Task
from leadflow.model.records import Contact, NewEvent
from leadflow.model.tenancy import Agent
from leadflow.playbooks.routing import next_in_turn
from leadflow.store.contract import Store

TASK_EVENTS = ("task.created", "task.completed", "task.overdue")
# (contact, now) -> the lead's summary text (``notify_agent`` with ``summary: true``)
Summarizer = Callable[[Contact, float], str]
SUMMARY_HEADING = "What to know before you call:"
SMS_SUMMARY_CHARS = 300


def task_event(kind: str, task: Task, now: float, **more: Any) -> NewEvent:
    return NewEvent(kind, task.contact_id, task.event_data(**more), f"{kind}:{task.id}", now)


def _active(store: Store, tenant: str, member: str | None) -> Agent | None:
    if not member:
        return None
    agent = store.get_agent(tenant, member)
    return agent if agent is not None and agent.status == "Active" else None


def _lead_of(store: Store, tenant: str, agent: Agent | None) -> Agent | None:
    teams = store.list_teams(tenant)
    if agent is not None and agent.team_key:
        teams = sorted(teams, key=lambda t: t.team_key != agent.team_key)
    for team in teams:
        lead = _active(store, tenant, team.lead_key)
        if lead is not None and (agent is None or lead.member_key != agent.member_key):
            return lead
    return None


def recipient(store: Store, tenant: str, owner: str | None, to: str) -> tuple[Agent, str]:
    """The person a task goes to and why."""
    own = _active(store, tenant, owner)
    if to == "owner" and own is not None:
        return own, "owner"
    lead = _lead_of(store, tenant, own)
    if lead is not None:
        return lead, "team_lead"
    if to == "team_lead" and own is not None:
        return own, "owner (no team lead)"
    members = [a.member_key for a in store.list_agents(tenant) if a.status == "Active"]
    picked = next_in_turn(store, tenant, members)
    if picked is None:
        raise PermanentStepError("notify_agent: the tenant has no Active agent to give it to")
    agent = store.get_agent(tenant, picked)
    assert agent is not None
    return agent, "routing"


def notice_payload(profile: AgentProfile, task: Task) -> dict[str, Any]:
    urgent = task.priority == "urgent"
    return {
        "agent_notice": profile.member_key,
        "task_id": task.id,
        "marketing": False,
        "window": {
            "start": profile.hours_start,
            "end": profile.hours_end,
            "weekdays": list(profile.weekdays),
            "time_zone": profile.time_zone,
        },
        "urgent_ok": urgent and profile.urgent_after_hours,
    }


class NotifyAgentHandler:
    """Instant: the task (idempotent by step), its event, the notices; on to ``next``."""

    def __init__(self, store: Store, summarizer: Summarizer | None = None) -> None:
        self.store = store
        self.summarizer = summarizer

    def enter(self, ctx: StepContext, node: m.NotifyAgent) -> Result:
        contact = ctx.run_contact("notify_agent")
        tenant = contact.tenant_id
        agent, why = recipient(self.store, tenant, contact.owner, node.to)
        title = ctx.render(node.title)
        body = ctx.render(node.body) if node.body else None
        brief = None
        if node.summary and self.summarizer is not None:
            brief = self.summarizer(contact, ctx.now)
            body = "\n\n".join(x for x in (body, f"{SUMMARY_HEADING}\n{brief}") if x)
        step_key = ctx.idempotency_key(node.id)
        task, _ = self.store.create_task(
            Task(
                tenant_id=tenant,
                contact_id=contact.id,
                assignee=agent.member_key,
                title=title[:200],
                due_at=ctx.now + parse_duration(node.due_in),
                step_key=step_key,
                body=body,
                label=node.kind_of_task,
                priority=node.priority,
                created_at=ctx.now,
                run_id=ctx.run.id,
                workflow_key=ctx.workflow.key,
            )
        )
        ctx.events.append(task_event("task.created", task, ctx.now, reason=why))
        profiles = {p.member_key: p for p in self.store.agent_profiles(tenant)}
        profile = profiles.get(agent.member_key) or AgentProfile(tenant, agent.member_key)
        payload = notice_payload(profile, task)
        lead = " ".join(x for x in (contact.first_name, contact.last_name) if x) or contact.id
        text = f"[{task.priority}] {title} - {lead}"
        if brief:  # the text: the summary's key lines after the name (score, wants, reply)
            key_lines = " / ".join(brief.splitlines()[1:4])
            text = f"{text}\n{key_lines}"[: len(text) + 1 + SMS_SUMMARY_CHARS]
        told = []
        for channel in node.channels:
            to = agent.mobile_phone if channel == "sms" else agent.email
            if not to:
                continue
            message = ctx.add_message(
                node.id,
                channel,
                to,
                text if channel == "sms" else f"{text}\n\n{body or ''}".strip(),
                subject=f"Task: {title}"[:200] if channel == "email" else None,
                payload=dict(payload),
            )
            message.idempotency_key += f":agent:{channel}"
            told.append(channel)
        ctx.remember(node.id, task_id=task.id, assignee=agent.member_key, told=told)
        return Go(node.next, outcome=f"task:{why}", data={"task_id": task.id, "told": told})

    def resume(self, ctx: StepContext, node: m.NotifyAgent) -> Result:  # pragma: no cover
        return Go(node.next, outcome="resumed")


class OverdueJob:
    """Records ``task.overdue`` once for each open task past its due time."""

    name = "tasks.overdue"

    def __init__(self, store: Store, interval_s: float = 60.0, batch: int = 500) -> None:
        self.store = store
        self.interval_s = interval_s
        self.batch = batch

    def run(self, now: float) -> int:
        found = self.store.overdue_tasks(now, self.batch)
        if not found:
            return 0
        self.store.append_events([task_event("task.overdue", t, now) for t in found], now)
        for task in found:
            task.overdue_at = now
            self.store.update_task(task, expect_status="open")
        return len(found)


__all__ = [
    "TASK_EVENTS",
    "NotifyAgentHandler",
    "OverdueJob",
    "Summarizer",
    "recipient",
    "task_event",
]
