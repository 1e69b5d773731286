"""``/api/v1/events``: what leads do, fed to the engine (triggers, waits, goals, replies)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from leadflow.access import event_log
from leadflow.access.events import Item, originals
from leadflow.api.data.events import (
    Accepted,
    BatchAccepted,
    EventBatch,
    EventIn,
    EventOut,
    EventPage,
)
from leadflow.api.deps import Access, AccessDep, access_of
from leadflow.api.group_commit import EventCommits
from leadflow.api.problems import problem_responses

router = APIRouter(prefix="/events", tags=["events"])


@router.post(
    "",
    summary="Record one event about a contact",
    status_code=202,
    responses=problem_responses(404),
)
async def post_event(request: Request, body: EventIn) -> Accepted:
    access = access_of(request)  # authenticated by the router's dependency
    item: Item = (
        body.type,
        body.contact_id,
        body.data.as_dict(),
        body.dedupe_key,
        body.occurred_at,
    )
    ids = await _commits(request).ingest(access.scope, [item], access.now())
    if ids[0] is None:  # a duplicate: the id of the event that holds its key
        (found,) = await _originals(access, [item], ids)
        return Accepted(id=found[0], duplicate=True)
    return Accepted(id=ids[0], duplicate=False)


@router.post(
    "/batch",
    summary="Record up to 10,000 events in one transaction (all or nothing)",
    status_code=202,
    responses=problem_responses(404, 413),
)
async def post_events(request: Request, body: EventBatch) -> BatchAccepted:
    access = access_of(request)  # authenticated by the router's dependency
    items: list[Item] = [
        (e.type, e.contact_id, e.data.as_dict(), e.dedupe_key, e.occurred_at) for e in body.events
    ]
    ids = await _commits(request).ingest(access.scope, items, access.now())
    new = sum(1 for i in ids if i is not None)
    if new < len(ids):
        resolved = await _originals(access, items, ids)
        return BatchAccepted(
            accepted=new,
            duplicates=len(ids) - new,
            ids=[eid for eid, _ in resolved],
            duplicate=[dup for _, dup in resolved],
        )
    return BatchAccepted(accepted=new, duplicates=0, ids=ids, duplicate=[False] * len(ids))


async def _originals(
    access: Access, items: list[Item], ids: list[int | None]
) -> list[tuple[int | None, bool]]:
    return await run_in_threadpool(originals, access.runtime.store, access.scope, items, ids)


def _commits(request: Request) -> EventCommits:
    """The app's group commit of events (set by its lifespan with the runtime)."""
    commits: EventCommits = request.app.state.event_commits
    return commits


@router.get("", summary="List events of contacts in scope (keyset paging)")
def list_events(
    access: AccessDep,
    contact_id: Annotated[str | None, Query(max_length=200)] = None,
    type: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[
        Literal["pending", "processed", "failed"] | None,
        Query(description="failed: events set aside because they could not be processed."),
    ] = None,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> EventPage:
    found = event_log.find(
        access.runtime.store,
        access.scope,
        contact_id,
        limit + 1,
        after_id=after,
        type=type,
        status=status,
    )
    more = len(found) > limit
    found = found[:limit]
    return EventPage(
        items=[EventOut.of(e) for e in found], next=found[-1].id if more and found else None
    )
