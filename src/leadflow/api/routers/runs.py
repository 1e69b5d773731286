"""``/api/v1/runs`` and ``/api/v1/messages``: workflow runs of contacts in scope, their history,
control (pause, resume, cancel, retry from the failed step), and the outbox."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from leadflow.access import runs as access_runs
from leadflow.api.data.runs import (
    MessageOut,
    MessagePage,
    RunHistoryOut,
    RunOut,
    RunPage,
    StepOut,
)
from leadflow.api.deps import AccessDep
from leadflow.api.params import RowId
from leadflow.api.routes import routed
from leadflow.model.records import MessageFilter, RunFilter

router = APIRouter(tags=["runs"])
After = Annotated[int, Query(ge=0, le=2**62, description="`next` of a page.")]
Limit = Annotated[int, Query(ge=1, le=500)]
RunStatus = Literal["active", "waiting", "paused", "completed", "exited", "failed", "cancelled"]
MessageStatus = Literal[
    "pending", "deferred", "sending", "sent", "delivered", "failed", "suppressed"
]


@router.get("/runs", summary="List runs (filters, keyset paging)")
def list_runs(
    access: AccessDep,
    workflow_key: Annotated[str | None, Query(max_length=200)] = None,
    contact_id: Annotated[str | None, Query(max_length=200)] = None,
    status: RunStatus | None = None,
    after: After = 0,
    limit: Limit = 100,
) -> RunPage:
    flt = RunFilter(workflow_key, contact_id, status, limit, after_id=after)
    found, following = access_runs.run_page(access.runtime.store, access.scope, flt)
    return RunPage(items=[RunOut.of(r) for r in found], next=following)


@routed(router.get, "/runs/{run_id}", "Show a run", 404)
def get_run(access: AccessDep, run_id: RowId) -> RunOut:
    return RunOut.of(access_runs.visible_run(access.runtime.store, access.scope, run_id))


@routed(router.get, "/runs/{run_id}/history", "A run's steps and messages, in order", 404)
def run_history(access: AccessDep, run_id: RowId) -> RunHistoryOut:
    run, steps, messages = access_runs.history(access.runtime.store, access.scope, run_id)
    return RunHistoryOut(
        run=RunOut.of(run),
        steps=[StepOut.of(s, data=access_runs.step_data(s.data)) for s in steps],
        messages=[MessageOut.of(m) for m in messages],
    )


@routed(
    router.post,
    "/runs/{run_id}/{action}",
    "Pause, resume, cancel, or retry a failed run from its failed step",
    403,
    404,
    409,
)
def control_run(
    access: AccessDep, run_id: RowId, action: Literal["pause", "resume", "cancel", "retry"]
) -> RunOut:
    run = access_runs.control_run(
        access.runtime.store, access.principal, access.scope, run_id, action, access.now()
    )
    return RunOut.of(run)


@router.get("/messages", summary="List messages of contacts in scope (keyset paging)")
def list_messages(
    access: AccessDep,
    run_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    contact_id: Annotated[str | None, Query(max_length=200)] = None,
    status: MessageStatus | None = None,
    channel: Literal["sms", "email", "voice", "webhook", "whatsapp"] | None = None,
    after: After = 0,
    limit: Limit = 100,
) -> MessagePage:
    flt = MessageFilter(run_id, contact_id, status, channel, limit, after_id=after)
    found, following = access_runs.message_page(access.runtime.store, access.scope, flt)
    return MessagePage(items=[MessageOut.of(m) for m in found], next=following)


@routed(router.get, "/messages/{message_id}", "Show a message", 404)
def get_message(access: AccessDep, message_id: RowId) -> MessageOut:
    found = access_runs.visible_message(access.runtime.store, access.scope, message_id)
    return MessageOut.of(found)
