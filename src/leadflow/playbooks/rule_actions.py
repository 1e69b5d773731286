"""``notify_agent`` as an automation rules' action kind: the same task and notices as the
``notify_agent`` node, for a rule's firing (installed by the playbooks plugin).

The recipient is chosen when the firing is planned (so the dry run names the agent); the task,
its ``task.created`` event and the notices are written before the firing, each idempotent by
the firing's key, so a firing replayed after a crash makes one task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.definitions.durations import parse_duration
from leadflow.engine.rule_actions import RuleActionError, RulePlan, RuleTarget
from leadflow.engine.runless import message_now
from leadflow.errors import PermanentStepError
from leadflow.model.playbooks import AgentProfile, Task
from leadflow.playbooks.tasks import notice_payload, recipient, task_event
from leadflow.store.contract import Store


class NotifySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["notify_agent"]
    title: str = Field(min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=4000)
    due_in: str = "1d"
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    channels: tuple[Literal["sms", "email"], ...] = ("sms",)
    to: Literal["owner", "team_lead"] = "owner"


class NotifyAgentRuleAction:
    def __init__(self, store: Store) -> None:
        self.store = store

    def problems(self, spec: Mapping[str, Any], tenant_id: str) -> list[tuple[str, str]]:
        try:
            s = NotifySpec.model_validate(dict(spec))
        except ValidationError as exc:
            return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        try:
            parse_duration(s.due_in)
        except ValueError as exc:
            return [("due_in", str(exc))]
        return []

    def plan(self, spec: Mapping[str, Any], target: RuleTarget) -> RulePlan:
        s = NotifySpec.model_validate(dict(spec))
        contact, tenant, now = target.contact, target.tenant_id, target.now
        try:
            agent, why = recipient(self.store, tenant, contact.owner, s.to)
        except PermanentStepError as exc:
            raise RuleActionError(str(exc)) from None
        store = self.store

        def prepare() -> None:
            task, _ = store.create_task(
                Task(
                    tenant_id=tenant,
                    contact_id=contact.id,
                    assignee=agent.member_key,
                    title=s.title,
                    due_at=now + parse_duration(s.due_in),
                    step_key=target.key,
                    body=s.body,
                    priority=s.priority,
                    created_at=now,
                )
            )
            store.append_events([task_event("task.created", task, now, reason=why)], now)
            profiles = {p.member_key: p for p in store.agent_profiles(tenant)}
            profile = profiles.get(agent.member_key) or AgentProfile(tenant, agent.member_key)
            lead = " ".join(x for x in (contact.first_name, contact.last_name) if x) or contact.id
            text = f"[{task.priority}] {s.title} - {lead}"
            notices = []
            for channel in s.channels:
                to = agent.mobile_phone if channel == "sms" else agent.email
                if not to:
                    continue
                notices.append(
                    message_now(
                        contact.id,
                        channel,
                        to,
                        f"{target.key}:agent:{channel}",
                        now,
                        subject=f"Task: {s.title}"[:200] if channel == "email" else None,
                        body=text if channel == "sms" else f"{text}\n\n{s.body or ''}".strip(),
                        payload=notice_payload(profile, task),
                    )
                )
            if notices:
                store.queue_messages(notices, now)

        summary = {
            "kind": "notify_agent",
            "assignee": agent.member_key,
            "reason": why,
            "title": s.title,
            "priority": s.priority,
        }
        return RulePlan(summary, prepare=prepare)


__all__ = ["NotifyAgentRuleAction"]
