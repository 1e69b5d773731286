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


class RunPage(BaseModel):
    items: list[RunOut]
    next: int | None


class StepOut(Record):
    node: str
    kind: str
    outcome: str
    attempt: int
    started_at: Time
    due_at: Time
    error: str | None
    data: dict[str, Any] | None


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
    attempts: int
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
