"""Group commit of the events API: the events of concurrent requests go to the store together.

A request hands its events to :meth:`EventCommits.ingest` and waits. While no commit is under
way, its events are committed at once (on the thread pool, in one transaction); requests that
arrive meanwhile queue up and are committed together, in one transaction and one thread hop,
as soon as that commit is done. So a lone request waits for nothing more than its own commit,
and under load many requests share one. Each is answered only after the transaction holding
its events has committed: an accepted event is stored. Each request keeps its own outcome
(its ids, its duplicates, its NotFound): see :func:`leadflow.access.events.ingest_many`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from starlette.concurrency import run_in_threadpool

from leadflow.access.events import IngestRequest, Item, Outcome, ingest_many
from leadflow.model.records import Scope
from leadflow.store.contract import Store

_Waiting = tuple[IngestRequest, "asyncio.Future[list[int | None]]"]


@dataclass(slots=True)
class _Queue:
    """The requests waiting on one event loop, and its commit task while one runs."""

    waiting: list[_Waiting] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class EventCommits:
    """Group commit of events into ``store`` (one per app, made by its lifespan)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queues: WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = WeakKeyDictionary()

    async def ingest(self, scope: Scope, items: list[Item], now: float) -> list[int | None]:
        """The ids of ``items`` (None: a duplicate) once committed; the request's own error
        (NotFound for a contact outside ``scope``, or the store's) otherwise."""
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue()
        future: asyncio.Future[list[int | None]] = loop.create_future()
        queue.waiting.append((IngestRequest(scope, items, now), future))
        if queue.task is None:
            queue.task = loop.create_task(self._commit(queue))
        return await future

    async def _commit(self, queue: _Queue) -> None:
        try:
            while queue.waiting:
                group, queue.waiting = queue.waiting, []
                try:
                    outcomes = await run_in_threadpool(
                        ingest_many, self.store, [request for request, _ in group]
                    )
                except BaseException as exc:  # the pool failed, or the loop is shutting down
                    for _, future in group + queue.waiting:
                        _settle(future, exc)
                    queue.waiting = []
                    if not isinstance(exc, Exception):
                        raise
                    return
                for (_, future), outcome in zip(group, outcomes, strict=True):
                    _settle(future, outcome)
        finally:
            queue.task = None


def _settle(future: asyncio.Future[list[int | None]], outcome: Outcome | BaseException) -> None:
    if future.done():  # its request was cancelled; its events are stored all the same
        return
    if isinstance(outcome, asyncio.CancelledError):
        future.cancel()
    elif isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
