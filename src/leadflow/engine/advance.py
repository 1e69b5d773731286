"""Advancing one run: execute nodes until the run sleeps or ends, collecting every product.

Pure with respect to storage: it reads the claimed run (and, when a workflow's conditions need
them, message facts through ``facts_loader``) and returns an :class:`Advance` that the store
commits atomically with everything the steps produced.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Any

from leadflow.engine import forks
from leadflow.engine.baseline import fill_missing
from leadflow.engine.catalog import Catalog
from leadflow.engine.compiled import CompiledWorkflow
from leadflow.engine.context import (
    BranchRuns,
    FactsLoader,
    Finish,
    Go,
    MessageLookup,
    RunsSince,
    Sleep,
    StepContext,
)
from leadflow.engine.handlers import Registry
from leadflow.engine.limits import Limits
from leadflow.engine.ports import SendGate
from leadflow.engine.retry import RetryPolicy
from leadflow.errors import StepError
from leadflow.model.records import (
    Advance,
    Contact,
    Run,
    RunStatus,
    Step,
)

log = logging.getLogger(__name__)

MAX_STEPS_PER_ADVANCE = 200


@dataclass(slots=True)
class Engine:
    """What advancing needs besides the run: the catalog, the handlers and the retry policy."""

    catalog: Catalog
    registry: Registry
    retry: RetryPolicy
    rng: random.Random
    gate: SendGate | None = None
    limits: Limits = field(default_factory=Limits)


def new_advance(run: Run) -> Advance:
    return Advance(
        run_id=run.id,
        seq=run.seq,
        node=run.node,
        status=run.status,
        wake_at=run.wake_at,
        context=dict(run.context),
        step_seq=run.step_seq,
        attempt=run.attempt,
        waiting_for=run.waiting_for,
        contact_id=run.contact_id,
    )


def end(
    adv: Advance, status: str, now: float, reason: str | None, error: str | None = None
) -> None:
    adv.status = status
    adv.wake_at = None
    adv.waiting_for = None
    adv.ended_at = now
    adv.exit_reason = reason
    adv.error = error
    branch = forks.link(adv.context)
    if branch is not None and reason != forks.CANCELLED_BY_FORK:  # the parent has moved on
        adv.events.append(forks.ended_event(adv, branch, now))


def advance_run(
    engine: Engine,
    run: Run,
    contact: Contact | None,
    wf: CompiledWorkflow,
    now: float,
    *,
    facts_loader: FactsLoader | None = None,
    event: dict[str, Any] | None = None,
    message_lookup: MessageLookup | None = None,
    runs_since: RunsSince | None = None,
    branch_runs: BranchRuns | None = None,
) -> Advance:
    """Advance ``run`` as far as it can go at ``now``.

    A run claimed in status ``waiting`` resumes the node it slept at (timer, or ``event`` when an
    awaited event woke it); a run in status ``active`` enters its current node.
    """
    adv = new_advance(run)
    resuming = run.status == RunStatus.WAITING
    due_at = run.wake_at
    if event is not None:
        adv.context["_event"] = event
    fill_missing(wf, adv.context, contact)
    ctx: StepContext | None = None

    for _ in range(MAX_STEPS_PER_ADVANCE):
        node_id = adv.node or ""
        node = wf.nodes.get(node_id)
        if node is None:
            end(
                adv,
                RunStatus.FAILED,
                now,
                None,
                f"node {node_id!r} does not exist in version {wf.version}",
            )
            return adv
        if ctx is None:
            ctx = StepContext(
                run=run,
                contact=contact,
                workflow=wf,
                catalog=engine.catalog,
                now=now,
                step_seq=adv.step_seq + 1,
                context=adv.context,
                rng=engine.rng,
                facts_loader=facts_loader,
                event=event if resuming else None,
                gate=engine.gate,
                message_lookup=message_lookup,
                runs_since=runs_since,
                limits=engine.limits,
                branch_runs=branch_runs,
            )
        else:
            ctx.next_step(adv.step_seq + 1)  # the next node: as a fresh context, cheaper
        if not resuming and _goal_met(adv, ctx, wf, now, node_id, due_at):
            return adv
        try:
            handler = engine.registry.get(node.kind)
            result = handler.resume(ctx, node) if resuming else handler.enter(ctx, node)
        except StepError as exc:
            _failed(engine, adv, node_id, node.kind, node.on_error, exc, now, due_at)
            return adv
        except Exception as exc:  # a bug in a (custom) handler: this run retries, others go on
            log.exception("node %s of run %s raised", node_id, run.id)
            error = StepError(f"unexpected {type(exc).__name__}: {exc}")
            _failed(engine, adv, node_id, node.kind, node.on_error, error, now, due_at)
            return adv
        adv.step_seq += 1
        attempt, adv.attempt = adv.attempt + 1, 0  # 1-based: the attempt that succeeded
        adv.steps.append(
            Step(
                run.id,
                node_id,
                node.kind,
                adv.step_seq,
                attempt,
                result.outcome,
                now,
                due_at,
                None,
                None if isinstance(result, Finish) else result.data,
            )
        )
        adv.messages += ctx.messages
        adv.contact_patches += ctx.patches
        adv.enrollments += ctx.enrollments
        adv.events += ctx.events
        resuming = False
        due_at = None
        if isinstance(result, Go):
            adv.waiting_for = None
            if result.next is None:
                end(adv, RunStatus.COMPLETED, now, None)
                return adv
            if _joins(adv, result.next, now):
                return adv
            adv.node = result.next
            adv.status = RunStatus.ACTIVE
            adv.wake_at = now
            continue
        if isinstance(result, Sleep):
            adv.status = RunStatus.WAITING
            adv.wake_at = result.wake_at
            adv.waiting_for = result.waiting_for
            if result.waiting_for:
                adv.context.pop("_event", None)
            return adv
        assert isinstance(result, Finish)
        end(adv, result.status, now, result.reason)
        return adv
    end(adv, RunStatus.FAILED, now, None, f"more than {MAX_STEPS_PER_ADVANCE} steps without a wait")
    return adv


def _joins(adv: Advance, target: str, now: float) -> bool:
    """A branch run whose path reaches its parallel's join target ends there (completed)."""
    branch = forks.link(adv.context)
    if branch is None or branch.get("join") != target:
        return False
    end(adv, RunStatus.COMPLETED, now, "joined")
    return True


def _goal_met(
    adv: Advance,
    ctx: StepContext,
    wf: CompiledWorkflow,
    now: float,
    node_id: str,
    due_at: float | None,
) -> bool:
    if not wf.goals:  # the usual case: nothing to look at
        return False
    goals = wf.condition_goals
    if not goals:
        return False
    scope = ctx.scope()
    for goal in goals:
        assert goal.when is not None
        if goal.when(scope):
            adv.step_seq += 1
            adv.steps.append(
                Step(adv.run_id, node_id, "goal", adv.step_seq, 1, f"goal:{goal.name}", now, due_at)
            )
            end(adv, RunStatus.EXITED, now, goal.name)
            return True
    return False


def _failed(
    engine: Engine,
    adv: Advance,
    node_id: str,
    kind: str,
    on_error: str | None,
    exc: StepError,
    now: float,
    due_at: float | None,
) -> None:
    """Retry with backoff while the policy allows; then the on_error edge, else fail the run."""
    attempt = adv.attempt + 1
    decision = engine.retry.decide(attempt, exc.retryable, engine.rng)
    adv.step_seq += 1
    outcome = "retry" if decision.retry else ("on_error" if on_error else "failed")
    adv.steps.append(
        Step(adv.run_id, node_id, kind, adv.step_seq, attempt, outcome, now, due_at, exc.message)
    )
    if decision.retry:
        adv.status = RunStatus.ACTIVE
        adv.attempt = attempt
        adv.wake_at = now + decision.delay_s
        adv.error = exc.message
    elif on_error:
        if _joins(adv, on_error, now):
            return
        adv.status = RunStatus.ACTIVE
        adv.attempt = 0
        adv.node = on_error
        adv.wake_at = now
        adv.error = exc.message
    else:
        end(adv, RunStatus.FAILED, now, None, f"{node_id}: {exc.message}")
