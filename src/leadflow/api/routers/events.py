"""``/api/v1/events``: what leads do, fed to the engine (triggers, waits, goals, replies)."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Message

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
from leadflow.api.deps import Access, AccessDep, access_of, get_access
from leadflow.api.group_commit import EventCommits
from leadflow.api.input_guard import media_type
from leadflow.api.problems import problem_responses

router = APIRouter(prefix="/events", tags=["events"])
_EVENT_IN = TypeAdapter(EventIn)
_ACCEPTED = TypeAdapter(Accepted)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class IngestRoute(APIRoute):
    """``POST /events`` with a short way through for the request nearly every one is: a JSON
    body that is a valid event. That request is parsed and validated as FastAPI would (the
    body's bytes through ``json.loads``, then the body's model, in that order), authenticated by
    the same ``get_access`` the routers' dependency is, and answered with the same 202 and the
    same bytes, without solving the route's dependency tree. Every other request (another
    content type, a body that is not JSON or not a valid event, dependency overrides) goes the
    whole FastAPI way, so its answer (a 422 naming the field, a 400...) is FastAPI's own. The
    route, its OpenAPI operation and its dependencies are those of a plain ``APIRoute``."""

    def get_route_handler(self) -> Handler:
        whole = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if request.app.dependency_overrides:
                return await whole(request)
            try:
                raw = await request.body()
            except HTTPException:
                raise
            except Exception as exc:  # FastAPI says what it says of a body it cannot read
                return await whole(_failing(request, exc))
            content_type = request.headers.get("content-type")
            if not raw or not content_type or not _is_json(content_type):
                return await whole(request)  # the body is cached on the request
            try:
                body = _EVENT_IN.validate_python(json.loads(raw), from_attributes=True)
            except (ValueError, RecursionError, ValidationError):
                return await whole(request)  # FastAPI's own 422 (or 400) for it
            await get_access(request)  # the routers' dependency: 401, 429, request.state
            accepted = await post_event(request, body)
            return Response(_ACCEPTED.dump_json(accepted), 202, media_type="application/json")

        return handler


def _is_json(content_type: str) -> bool:
    main, sub = media_type(content_type)  # as FastAPI reads it (the e-mail header parser)
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _failing(request: Request, exc: Exception) -> Request:
    """``request`` again, its body read failing with ``exc`` as it did the first time."""

    async def receive() -> Message:
        raise exc

    return Request(request.scope, receive)


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


router.add_api_route(
    "",
    post_event,
    methods=["POST"],
    summary="Record one event about a contact",
    status_code=202,
    responses=problem_responses(404),
    route_class_override=IngestRoute,
)


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
