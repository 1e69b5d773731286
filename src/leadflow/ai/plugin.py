"""The AI drafting feature's plugin: the ``notify_agent`` action its drafts use.

``{kind: action, action: notify_agent, params: {message: <template>}}`` records an
``agent.notified`` event for the contact (data: the owning agent's id, the rendered message, the
node), which the agent's inbox, a webhook subscription or a notification workflow picks up.
"""

from __future__ import annotations

from typing import Any

from leadflow.definitions.templates import render
from leadflow.engine.context import Go, Result, StepContext
from leadflow.engine.plugins import Plugin
from leadflow.model.records import NewEvent

NOTIFIED = "agent.notified"


class NotifyAgent:
    def enter(self, ctx: StepContext, node: Any) -> Result:
        source = str((node.params or {}).get("message") or "A lead needs your attention.")
        message = render(source, ctx.scope())
        contact_id = ctx.contact.id if ctx.contact else None
        data = {
            "agent": ctx.contact.owner if ctx.contact else None,
            "message": message,
            "node": node.id,
            "workflow": ctx.workflow.key,
            "run_id": ctx.run.id,
        }
        key = f"{NOTIFIED}:{ctx.run.id}:{node.id}:{ctx.step_seq}"
        ctx.events.append(NewEvent(NOTIFIED, contact_id, data, key, ctx.now))
        return Go(node.next, outcome="notified", data={"agent": data["agent"]})

    def resume(self, ctx: StepContext, node: Any) -> Result:  # pragma: no cover - never sleeps
        return Go(node.next, outcome="resumed")


def ai_plugin() -> Plugin:
    return Plugin("ai", actions={"notify_agent": NotifyAgent()})
