"""The reply-intent feature's plugin: the observer that reads every inbound reply, and
``wait_for_event`` giving the awaited reply's intent to the steps after it."""

from __future__ import annotations

from leadflow.engine.plugins import Plugin
from leadflow.replies.intent import IntentReader
from leadflow.replies.observer import IntentObserver, Recipient
from leadflow.replies.wait import IntentWaitHandler


def replies_plugin(reader: IntentReader, recipient: Recipient | None = None) -> Plugin:
    """``reader`` with the model client when one is configured; ``recipient``: who gets a task
    (the playbooks' routing)."""
    return Plugin(
        "replies",
        handlers={"wait_for_event": IntentWaitHandler()},
        observers=[IntentObserver(reader, recipient)],
    )


__all__ = ["replies_plugin"]
