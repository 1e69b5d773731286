"""``wait_for_event`` with the reply's intent: when the awaited event carries one, the node's
facts include it (``steps.<node>.intent``, ``.intent_confidence``, ``.intent_source``) for the
conditions and templates after it."""

from __future__ import annotations

from leadflow.definitions import models as m
from leadflow.engine.context import Result, StepContext
from leadflow.engine.handlers import WaitForEventHandler

FACTS = ("intent", "intent_confidence", "intent_source")


class IntentWaitHandler(WaitForEventHandler):
    def resume(self, ctx: StepContext, node: m.WaitForEvent) -> Result:
        result = super().resume(ctx, node)
        event = ctx.event
        data = event.get("data") if event is not None else None
        if isinstance(data, dict) and "intent" in data:
            ctx.remember(node.id, **{k: data[k] for k in FACTS if k in data})
        return result


__all__ = ["IntentWaitHandler"]
