"""Runs, their step history and their messages as the API shows them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from leadflow.api.data.shape import Record, Time


class RunOut(Record):
    id: int
    workflow_key: str
    version: int
    contact_id: str
    node: str | None = Field(description="Where the run is (or ended).")
    status: str = Field(description="active, waiting, paused, completed, exited, failed, ...")
    wake_at: Time
    waiting_for: str | None
    created_at: Time
    updated_at: Time
    ended_at: Time
    exit_reason: str | None
    error: str | None
    parent_run_id: int | None = Field(
        description="A branch run of a parallel node: the run that forked it (else null)."
    )
    branch: str | None = Field(description="A branch run: its branch's name (else null).")


class RunPage(BaseModel):
    items: list[RunOut]
    next: int | None


class StepOut(Record):
    step_seq: int = Field(description="The step's number in its run (1, 2, ...).")
    node: str
    kind: str
    outcome: str
    attempt: int
    started_at: Time
    due_at: Time
    error: str | None
    data: dict[str, Any] | None = Field(
        description="What the node produced; its moments (until, at) in ISO 8601."
    )


class MessageOut(Record):
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
    idempotency_key: str = Field(description="The key that makes a send happen once.")
    provider_id: str | None = Field(description="The provider's id for the message.")
    attempts: int
    duplicates: int = Field(description="Redeliveries refused by the idempotency key.")
    created_at: Time
    due_at: Time
    sent_at: Time
    delivered_at: Time
    opened_at: Time
    clicked_at: Time
    replied_at: Time
    suppressed_reason: str | None = Field(description="Why it was held back or not sent.")
    error: str | None


class MessagePage(BaseModel):
    items: list[MessageOut]
    next: int | None


class RunHistoryOut(BaseModel):
    run: RunOut
    steps: list[StepOut]
    messages: list[MessageOut]
