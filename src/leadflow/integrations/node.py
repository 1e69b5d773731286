"""The ``crm`` node: one change in the tenant's CRM for the run's contact, through
:func:`~leadflow.integrations.operations.perform`.

Its idempotency key is the run, the node and the visit (``step_seq - attempt``: the same for
every retry of one visit, new for a later visit), so a step retried after an error or run
again after a crash changes the CRM once. A rate limit or backoff longer than a few seconds is
not waited out in the worker: the step fails retryably and the engine's retry policy brings it
back later (the delivery stays ``pending``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from leadflow.definitions import models as m
from leadflow.definitions.durations import parse_duration
from leadflow.engine.context import Go, Result, StepContext
from leadflow.errors import InvalidInput, PermanentStepError, StepError
from leadflow.integrations.http import CrmError
from leadflow.integrations.operations import CrmLink, perform
from leadflow.integrations.ratelimit import PROCESS_BUCKETS, Buckets
from leadflow.store.contract import Store

MAX_INLINE_WAIT_S = 5.0


class WaitTooLong(Exception):
    """A wait the worker should not sit through."""


@dataclass(slots=True)
class StepClock:
    """The step's time (``ctx.now``), moving on with the wall clock while the step runs."""

    start: float
    mono: float

    def now(self) -> float:
        return self.start + (time.monotonic() - self.mono)


def bounded_sleep(seconds: float) -> None:
    if seconds > MAX_INLINE_WAIT_S:
        raise WaitTooLong(f"the CRM asks to wait {seconds:.0f} s")
    time.sleep(seconds)


def node_params(ctx: StepContext, node: m.CrmNode) -> dict[str, Any]:
    """The operation's parameters, templates rendered."""
    op = node.operation
    if op == "add_note":
        return {"body": ctx.render(node.body or "")}
    if op == "add_tag":
        return {"tags": list(node.tags)}
    if op == "create_task":
        return {
            "title": ctx.render(node.title or ""),
            "body": ctx.render(node.body) if node.body else None,
            "due_in_s": parse_duration(node.due_in),
        }
    if op == "move_stage":
        return {
            "stage": node.stage,
            "pipeline_id": node.pipeline_id,
            "name": ctx.render(node.name) if node.name else None,
        }
    return {}


class CrmHandler:
    def __init__(
        self, store: Store, buckets: Buckets | None = None, client: httpx.Client | None = None
    ) -> None:
        self.store = store
        self.buckets = buckets or PROCESS_BUCKETS
        self.client = client

    def enter(self, ctx: StepContext, node: m.CrmNode) -> Result:
        contact = ctx.run_contact("crm")
        key = f"{ctx.run.id}:{node.id}:{ctx.step_seq - ctx.run.attempt}"
        link = CrmLink(
            self.store,
            StepClock(ctx.now, time.monotonic()),
            self.buckets,
            bounded_sleep,
            self.client,
        )
        try:
            done = perform(
                link,
                contact.tenant_id,
                node.crm,
                node.operation,
                contact,
                node_params(ctx, node),
                key,
            )
        except InvalidInput as exc:
            raise PermanentStepError(f"crm: {exc.message}") from exc
        except CrmError as exc:
            if exc.retryable:
                raise StepError(f"crm: {exc.message}") from exc
            raise PermanentStepError(f"crm: {exc.message}") from exc
        except WaitTooLong as exc:
            raise StepError(f"crm: {exc}") from exc
        if done.status == "failed":
            raise PermanentStepError(f"crm: {done.error or 'refused by the CRM'}")
        ctx.remember(node.id, crm_id=done.remote_id, delivery_id=done.id)
        return Go(node.next, outcome="done", data={"crm": node.crm, "delivery_id": done.id})

    def resume(self, ctx: StepContext, node: m.CrmNode) -> Result:  # pragma: no cover
        raise PermanentStepError("crm: an instant node cannot resume")


__all__ = ["CrmHandler", "StepClock", "bounded_sleep", "node_params"]
