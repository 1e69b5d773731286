"""Branch runs in a batch: loading a parent's branches, cancelling those it no longer waits for.

When an advance lets go of a fork (the parent joined, timed out, failed, exited, was
cancelled), the branch runs still open are cancelled *in the same commit* as the parent's
advance (each a seq-guarded advance of its own). When one of those loses a race, the branch
is still never let act: the advancer, the event processor and the dispatcher ask
:func:`~leadflow.engine.forks.branch_live` first and cancel it (or suppress its message).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from leadflow.engine import forks
from leadflow.engine.advance import end, new_advance
from leadflow.model.records import Advance, Run, RunStatus, Step
from leadflow.store.contract import Store

_OPEN = (RunStatus.ACTIVE, RunStatus.WAITING, RunStatus.PAUSED)


def branch_loader(store: Store) -> Callable[[Run], list[Run]]:
    """``ctx.branch_runs``: a parent's branch runs of any status, read from the store."""

    def load(parent: Run) -> list[Run]:
        return [
            r for r in store.runs_of_contact(parent.contact_id) if forks.is_branch_of(r, parent.id)
        ]

    return load


def open_branches(store: Store, parent: Run) -> list[Run]:
    runs = store.runs_of_contact(parent.contact_id, _OPEN)
    return [r for r in runs if forks.is_branch_of(r, parent.id)]


def cancel(run: Run, now: float) -> Advance:
    """A branch run's cancellation: its parent no longer waits for it."""
    adv = new_advance(run)
    adv.step_seq += 1
    adv.steps.append(
        Step(run.id, run.node or "", "parallel", adv.step_seq, 1, "cancelled:parent", now)
    )
    end(adv, RunStatus.CANCELLED, now, forks.CANCELLED_BY_FORK)
    return adv


def with_cancels(store: Store, pairs: Sequence[tuple[Run, Advance]], now: float) -> list[Advance]:
    """The advances of ``pairs`` (runs as read, their advances), each branch run among them
    whose parent lets go of its fork (or no longer holds it) replaced by its cancellation, and
    the cancellations of the other open branches of the parents that let go."""
    by_id = {run.id: (run, adv) for run, adv in pairs}
    out = {run.id: adv for run, adv in pairs}
    extra: list[Advance] = []
    cancelled: set[int] = set()
    for run, adv in pairs:
        if not forks.closes_fork(run.context, adv):
            continue
        if adv.node != (forks.fork_of(adv.context) or {}).get("node"):
            adv.context.pop(forks.FORK, None)  # moved off the node (rewind, migration)
        for branch in open_branches(store, run):
            if branch.id in by_id:
                out[branch.id] = cancel(by_id[branch.id][0], now)
                cancelled.add(branch.id)
            else:
                extra.append(cancel(branch, now))
    parents = _parents(store, [run for run, _ in pairs], by_id)
    for run, _ in pairs:
        link = forks.link(run.context)
        if link is None or run.id in cancelled:
            continue
        state = parents.get(int(link["parent"]))
        if state is None or not forks.holds(*state, link):
            out[run.id] = cancel(run, now)
    return [out[run.id] for run, _ in pairs] + extra


_State = tuple[str, str | None, dict[str, Any]]  # a run's status, node and context


def _parents(
    store: Store, runs: Iterable[Run], batch: Mapping[int, tuple[Run, Advance]]
) -> dict[int, _State]:
    """The branch runs' parents' states: after their advance when in the batch."""
    wanted = {pid for r in runs if (pid := forks.parent_id(r)) is not None}
    out: dict[int, _State] = {}
    for pid in wanted & batch.keys():
        adv = batch[pid][1]
        out[pid] = (adv.status, adv.node, adv.context)
    rest = wanted - batch.keys()
    for pid, parent in (store.get_runs(rest) if rest else {}).items():
        out[pid] = (parent.status, parent.node, parent.context)
    return out
