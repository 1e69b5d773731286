"""Runs, their step history and their messages as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from leadflow.api.data.contacts import when
from leadflow.model.records import Message, Run, Step


class RunOut(BaseModel):
    id: int
    workflow_key: str
    version: int
    contact_id: str
    node: str | None = Field(description="Where the run is (or ended).")
    status: str = Field(description="active, waiting, paused, completed, exited, failed, ...")
    wake_at: datetime | None
    waiting_for: str | None
    created_at: datetime | None
    updated_at: datetime | None
    ended_at: datetime | None
    exit_reason: str | None
    error: str | None

    @classmethod
    def of(cls, r: Run) -> RunOut:
        return cls(
            id=r.id,
            workflow_key=r.workflow_key,
            version=r.version,
            contact_id=r.contact_id,
            node=r.node,
            status=r.status,
            wake_at=when(r.wake_at),
            waiting_for=r.waiting_for,
            created_at=when(r.created_at),
            updated_at=when(r.updated_at),
            ended_at=when(r.ended_at),
            exit_reason=r.exit_reason,
            error=r.error,
        )


class RunPage(BaseModel):
    items: list[RunOut]
    next: int | None


class StepOut(BaseModel):
    node: str
    kind: str
    outcome: str
    attempt: int
    started_at: datetime | None
    due_at: datetime | None
    error: str | None
    data: dict[str, Any] | None

    @classmethod
    def of(cls, s: Step) -> StepOut:
        return cls(
            node=s.node,
            kind=s.kind,
            outcome=s.outcome,
            attempt=s.attempt,
            started_at=when(s.started_at),
            due_at=when(s.due_at),
            error=s.error,
            data=s.data,
        )


class MessageOut(BaseModel):
    id: int
    run_id: int | None
    contact_id: str | None
    workflow_key: str | None
    node: str | None
    channel: str
    to: str | None
    subject: str | None
    body: str | None
    status: str
    attempts: int
    due_at: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    replied_at: datetime | None
    suppressed_reason: str | None = Field(description="Why it was held back or not sent.")
    error: str | None

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        assert m.id is not None
        return cls(
            id=m.id,
            run_id=m.run_id,
            contact_id=m.contact_id,
            workflow_key=m.workflow_key,
            node=m.node,
            channel=m.channel,
            to=m.to,
            subject=m.subject,
            body=m.body,
            status=m.status,
            attempts=m.attempts,
            due_at=when(m.due_at),
            sent_at=when(m.sent_at),
            delivered_at=when(m.delivered_at),
            opened_at=when(m.opened_at),
            clicked_at=when(m.clicked_at),
            replied_at=when(m.replied_at),
            suppressed_reason=m.suppressed_reason,
            error=m.error,
        )


class MessagePage(BaseModel):
    items: list[MessageOut]
    next: int | None


class RunHistoryOut(BaseModel):
    run: RunOut
    steps: list[StepOut]
    messages: list[MessageOut]
