"""A message of no run (no workflow, no node), queued to go out now: a compliance answer, an
automation rule's webhook or agent notice, an appointment's e-mail."""

from __future__ import annotations

from typing import Any

from leadflow.model.records import Message


def message_now(
    contact_id: str | None,
    channel: str,
    to: str | None,
    idempotency_key: str,
    now: float,
    *,
    subject: str | None = None,
    body: str | None = None,
    payload: dict[str, Any] | None = None,
) -> Message:
    return Message(
        run_id=None,
        contact_id=contact_id,
        workflow_key=None,
        node=None,
        channel=channel,
        to=to,
        idempotency_key=idempotency_key,
        due_at=now,
        created_at=now,
        subject=subject,
        body=body,
        payload={} if payload is None else payload,
    )


__all__ = ["message_now"]
