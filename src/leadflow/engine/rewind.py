"""Run time travel for operators: rewinding a run to a node it visited, with a dry run.

A rewind moves a run back to a node of its history (named, or the node of a step number) and
lets it go on from there: the run enters that node afresh, now. Any run but a cancelled one can
be rewound; a completed, exited or failed run is reopened, a paused run stays paused (it enters
the node when resumed). The rewind is recorded as a step of kind ``rewind`` (data: ``from_node``,
``to_node``, ``by``) and is seq-guarded like every other change, so the history keeps both paths
and a run that advanced meanwhile is not moved.

Messages sent again are new messages: a message's idempotency key is derived from the run, the
node and the step number (:meth:`StepContext.idempotency_key`), and the rewind step takes a step
number, so every node the run enters after it gets a key no earlier visit had. They leave
through the dispatcher like any other message, so compliance still applies (quiet hours defer
them, a lead who opted out gets nothing).

The dry run (:func:`plan_rewind`) changes nothing. It says what would change (status, node, wake
time) and what would be sent again: the nodes on the path from the target as far as the engine
can tell without waiting -- it follows ``next`` edges, evaluates branches and splits as the
engine would on the run's current data, and stops at the first wait (or a send that waits for
its message's verdict or its optimal send time), at an exit, or where the run would complete.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from leadflow.definitions.models import MESSAGE_KINDS, WAIT_KINDS
from leadflow.engine.advance import Engine, new_advance
from leadflow.engine.branches import with_cancels
from leadflow.engine.compiled import CompiledWorkflow
from leadflow.engine.context import Go, StepContext
from leadflow.engine.facts import message_facts
from leadflow.engine.handlers import AWAITING, SEND_AT, BranchHandler, SplitHandler
from leadflow.errors import Conflict, InvalidInput
from leadflow.model.records import Contact, Run, RunStatus, Step
from leadflow.store.contract import Store

OWNER = "rewind"
KIND = "rewind"
PAUSED_KEY = "_paused"
LOOK_AHEAD = 100  # nodes at most: a definition's path, never a loop
_UNSETTLED = frozenset({"pending", "deferred", "sending"})
_CHANNELS = {
    "send_sms": "sms",
    "send_email": "email",
    "voice_call": "voice",
    "webhook": "webhook",
    "send_whatsapp": "whatsapp",
    "send_messenger": "messenger",
}
# The engine's own handlers of the node kinds whose choice the dry run works out: pure, they
# read the run and decide. (An experiment's split stores the arm it draws: not looked ahead.)
_PURE: dict[str, BranchHandler | SplitHandler] = {
    "branch": BranchHandler(),
    "split": SplitHandler(),
}


@dataclass(slots=True)
class PathNode:
    """One node the rewound run would enter; ``resend`` for a message node."""

    node: str
    kind: str
    channel: str | None = None
    resend: bool = False
    chosen: str | None = None  # a branch's or split's outcome ("case:0", "default", an arm)


@dataclass(slots=True)
class RewindPlan:
    run_id: int
    from_node: str | None
    to_node: str
    from_step: int | None
    status_before: str
    status_after: str
    wake_before: float | None
    wake_after: float | None
    path: list[PathNode] = field(default_factory=list)
    stops: str = ""  # where and why the look-ahead stops
    # the run's messages queued and not yet settled: a rewind does not withdraw them
    still_queued: list[int] = field(default_factory=list)

    @property
    def resend(self) -> list[PathNode]:
        return [p for p in self.path if p.resend]


def target_of(
    store: Store, run: Run, wf: CompiledWorkflow, to_node: str | None, from_step: int | None
) -> str:
    """The node to rewind to: ``to_node`` (a node the run visited) or the node of step number
    ``from_step`` of its history; it must exist in the run's workflow version."""
    if (to_node is None) == (from_step is None):
        raise InvalidInput("to_node: give either to_node or from_step (one of them)")
    steps = store.run_steps(run.id)
    if from_step is not None:
        found = [s for s in steps if s.step_seq == from_step]
        if not found or not found[0].node:
            raise InvalidInput(f"from_step: run {run.id} has no step {from_step} at a node")
        target, field_name = found[0].node, "from_step"
    else:
        assert to_node is not None
        visited = {s.node for s in steps} | ({run.node} if run.node else set())
        if to_node not in visited:
            raise InvalidInput(f"to_node: run {run.id} never visited node {to_node!r}")
        target, field_name = to_node, "to_node"
    if target not in wf.nodes:
        raise InvalidInput(
            f"{field_name}: node {target!r} is not in version {wf.version} of "
            f"{wf.key!r}, the run's version"
        )
    return target


def _rewindable(run: Run) -> None:
    if run.status == RunStatus.CANCELLED:
        raise Conflict(f"run {run.id} is cancelled; a cancelled run is not rewound")


def plan_rewind(
    store: Store,
    engine: Engine,
    run: Run,
    contact: Contact | None,
    wf: CompiledWorkflow,
    now: float,
    *,
    to_node: str | None = None,
    from_step: int | None = None,
) -> RewindPlan:
    """What rewinding ``run`` would change and send again; changes nothing."""
    _rewindable(run)
    target = target_of(store, run, wf, to_node, from_step)
    paused = run.status == RunStatus.PAUSED
    plan = RewindPlan(
        run.id,
        run.node,
        target,
        from_step,
        run.status,
        RunStatus.PAUSED if paused else RunStatus.ACTIVE,
        run.wake_at,
        run.wake_at if paused else now,
    )
    _look_ahead(plan, run, wf, partial(_choose, store, engine, run, contact, wf, now=now))
    plan.still_queued = [
        m.id for m in store.messages_of_run(run.id) if m.id is not None and m.status in _UNSETTLED
    ]
    return plan


def _look_ahead(
    plan: RewindPlan,
    run: Run,
    wf: CompiledWorkflow,
    choose: Callable[[dict[str, Any], Any], Go | None],
) -> None:
    """Walks from the plan's node as far as it can tell where the run goes; ``choose`` works out
    a branch's or split's choice (:func:`_choose`)."""
    node_id: str | None = plan.to_node
    seen: set[str] = set()
    context = _cleared(dict(run.context))
    while node_id is not None:
        node = wf.nodes.get(node_id)
        if node is None or node_id in seen or len(seen) >= LOOK_AHEAD:
            plan.stops = f"comes back to {node_id}" if node_id in seen else f"reaches {node_id}"
            return
        seen.add(node_id)
        kind = node.kind
        if kind in WAIT_KINDS:
            plan.path.append(PathNode(node_id, kind))
            plan.stops = f"waits at {node_id} ({kind})"
            return
        if kind in MESSAGE_KINDS:
            channel = getattr(node, "channel", None) or _CHANNELS.get(kind)
            plan.path.append(PathNode(node_id, kind, channel, resend=True))
            if getattr(node, "on_error", None):
                plan.stops = f"waits at {node_id} for its message's verdict"
                return
            if getattr(node, "timing", "now") == "optimal":
                plan.stops = f"waits at {node_id} for its best send time"
                return
            node_id = node.next
            continue
        if kind in ("exit", "goal"):
            plan.path.append(PathNode(node_id, kind))
            plan.stops = f"ends at {node_id} ({kind})"
            return
        if kind in _PURE:
            chosen = choose(context, node)
            if chosen is None:
                plan.path.append(PathNode(node_id, kind))
                plan.stops = f"stops at {node_id}: its choice cannot be worked out now"
                return
            plan.path.append(PathNode(node_id, kind, chosen=chosen.outcome))
            node_id = chosen.next
            continue
        plan.path.append(PathNode(node_id, kind))
        node_id = node.next
    plan.stops = "completes"


def _choose(
    store: Store,
    engine: Engine,
    run: Run,
    contact: Contact | None,
    wf: CompiledWorkflow,
    context: dict[str, Any],
    node: Any,
    *,
    now: float,
) -> Go | None:
    """A branch's or split's choice on the run's current data, by the engine's own handler;
    None when it cannot be worked out without changing anything."""
    if getattr(node, "experiment", None) is not None:
        return None
    ctx = StepContext(
        run=run,
        contact=contact,
        workflow=wf,
        catalog=engine.catalog,
        now=now,
        step_seq=run.step_seq + 2,
        context=copy.deepcopy(context),
        rng=random.Random(0),
        facts_loader=lambda run_id: message_facts(store.messages_of_run(run_id)),
        limits=engine.limits,
    )
    try:
        result = _PURE[node.kind].enter(ctx, node)
    except Exception:  # a condition that cannot be evaluated now: the look-ahead stops there
        return None
    return result if isinstance(result, Go) else None


def _cleared(context: dict[str, Any]) -> dict[str, Any]:
    """The run's context without what belonged to the node it leaves: the message a send node
    awaited, the send time it chose."""
    context.pop(AWAITING, None)
    context.pop(SEND_AT, None)
    return context


def apply_rewind(store: Store, run: Run, plan: RewindPlan, now: float, by: str) -> Run:
    """Move the run to the plan's node (seq-guarded: a run changed since it was read is left
    where it is, Conflict) and record the ``rewind`` step."""
    _rewindable(run)
    adv = new_advance(run)
    adv.context = _cleared(adv.context)
    adv.node = plan.to_node
    adv.attempt = 0
    adv.waiting_for = None
    adv.ended_at = adv.exit_reason = adv.error = None
    if run.status == RunStatus.PAUSED:
        adv.context[PAUSED_KEY] = {"status": RunStatus.ACTIVE, "wake_at": now}
    else:
        adv.context.pop(PAUSED_KEY, None)
        adv.status, adv.wake_at = RunStatus.ACTIVE, now
    adv.step_seq += 1
    data: dict[str, Any] = {"from_node": run.node, "to_node": plan.to_node, "by": by}
    if plan.from_step is not None:
        data["from_step"] = plan.from_step
    if run.status != adv.status:
        data["from_status"] = run.status
    adv.steps.append(
        Step(run.id, plan.to_node, KIND, adv.step_seq, 1, "rewound", now, None, None, data)
    )
    # A parent moved off its parallel node lets its branches go (cancelled in this commit).
    result = store.commit_advances(OWNER, with_cancels(store, [(run, adv)], now), now)
    if run.id in result.conflicted_run_ids:
        raise Conflict(f"run {run.id} changed meanwhile; try again")
    moved = store.get_run(run.id)
    assert moved is not None
    return moved
