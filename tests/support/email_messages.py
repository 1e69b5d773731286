"""An outgoing e-mail message as the engine queues it (run 1 of contact c1, node ``mail``), for
the e-mail rendering and provider tests."""

from __future__ import annotations

from typing import Any

from leadflow.model.records import Message

NOW = 1_750_000_000.0


def email_message(**kw: Any) -> Message:
    """A marketing e-mail to jane@example.com due at :data:`NOW`; ``kw`` replaces any field."""
    base: dict[str, Any] = {
        "run_id": 1,
        "contact_id": "c1",
        "workflow_key": "wf",
        "node": "mail",
        "channel": "email",
        "to": "jane@example.com",
        "idempotency_key": "k1",
        "due_at": NOW,
        "created_at": NOW,
        "subject": "Homes for you",
        "body": "Hi Jane,\n\nThree new listings.",
        "payload": {"marketing": True},
    }
    return Message(**(base | kw))
