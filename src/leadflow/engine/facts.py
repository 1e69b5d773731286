"""``steps.<node>.<fact>`` for conditions: what became of each node's latest message."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadflow.model.records import (
    Message,
    MessageStatus,
)


def message_facts(messages: Iterable[Message]) -> dict[str, dict[str, Any]]:
    facts: dict[str, dict[str, Any]] = {}
    for msg in messages:  # in id order: a later visit of a node overrides an earlier one
        if not msg.node:
            continue
        facts[msg.node] = {
            "status": msg.status,
            "sent": msg.status in (MessageStatus.SENT, MessageStatus.DELIVERED),
            "delivered": msg.status == MessageStatus.DELIVERED or msg.delivered_at is not None,
            "opened": msg.opened_at is not None,
            "clicked": msg.clicked_at is not None,
            "replied": msg.replied_at is not None,
            "failed": msg.status == MessageStatus.FAILED,
            "suppressed": msg.status == MessageStatus.SUPPRESSED,
        }
    return facts
