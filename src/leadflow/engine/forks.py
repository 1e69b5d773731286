"""What links a ``parallel`` node's run (the *parent*) to its branch runs, in the runs' contexts.

The parent's context holds the open fork (``_fork``: node, visit, deadline) while it waits at
the parallel node; each branch run's context holds its link (``_branch``: parent run, node,
visit, branch name, join target, contact). Both are written in the transaction that commits
the parent's parallel step (the branch runs are that step's enrollments), so a step replayed
after a crash forks again only if nothing of it was committed.

A branch run is *live* only while its parent holds the fork it was started by: the parent is
not ended and its ``_fork`` names the same visit. Every place where a branch could do
something checks that (the advancer before advancing it, the event processor before resuming
it, the dispatcher before sending its message), so a branch whose parent moved on never acts,
even if cancelling it eagerly lost a race.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.model.records import (
    BRANCH_LINK,
    ENDED_STATUSES,
    FORK_LINK,
    Advance,
    NewEvent,
    Run,
)
from leadflow.model.rules import BRANCH_POLICY

FORK = FORK_LINK  # parent's context: the fork it waits at
BRANCH = BRANCH_LINK  # branch run's context: its parent and branch
BRANCH_REENTRY = BRANCH_POLICY  # the enrollment policy of branch runs (model.rules)
BRANCH_ENDED = "parallel.branch_ended"  # recorded when a branch run ends; wakes its parent
CANCELLED_BY_FORK = "parallel:cancelled"  # exit reason of a branch its parent no longer waits for


def link(context: Mapping[str, Any]) -> dict[str, Any] | None:
    """The branch link in a run's context (None for a run that is no branch)."""
    found = context.get(BRANCH)
    return found if isinstance(found, dict) else None


def fork_of(context: Mapping[str, Any]) -> dict[str, Any] | None:
    found = context.get(FORK)
    return found if isinstance(found, dict) else None


def holds(
    status: str, node: str | None, context: Mapping[str, Any], branch: Mapping[str, Any]
) -> bool:
    """Whether a parent in this state still waits for the fork ``branch`` was started by (at
    the parallel node: a parent rewound or migrated elsewhere no longer does)."""
    fork = fork_of(context)
    return (
        status not in ENDED_STATUSES
        and node == branch.get("node")
        and fork is not None
        and fork.get("node") == branch.get("node")
        and fork.get("visit") == branch.get("visit")
    )


def branch_live(run: Run, parent: Run | None) -> bool:
    """Whether ``run`` may act: not a branch, or a branch whose parent still holds its fork."""
    branch = link(run.context)
    if branch is None:
        return True
    return parent is not None and holds(parent.status, parent.node, parent.context, branch)


def parent_id(run: Run) -> int | None:
    branch = link(run.context)
    return int(branch["parent"]) if branch is not None else None


def is_branch_of(run: Run, parent: int) -> bool:
    branch = link(run.context)
    return branch is not None and branch.get("parent") == parent


def closes_fork(before: Mapping[str, Any], adv: Advance) -> bool:
    """Whether ``adv`` lets go of a fork the run held (``before``: its context as read): the
    run ended, left the fork (or forked again: a new visit), or was moved off the node."""
    held = fork_of(before)
    if held is None:
        return False
    return (
        adv.status in ENDED_STATUSES or fork_of(adv.context) != held or adv.node != held.get("node")
    )


def ended_event(adv: Advance, branch: Mapping[str, Any], now: float) -> NewEvent:
    """The event that tells the parent a branch ended (its data names both runs)."""
    return NewEvent(
        BRANCH_ENDED,
        adv.contact_id,
        {
            "parent_run": branch.get("parent"),
            "branch_run": adv.run_id,
            "node": branch.get("node"),
            "branch": branch.get("branch"),
            "status": str(adv.status),
        },
        f"parallel:{adv.run_id}:{adv.step_seq}",
        now,
    )


def concerns(run: Run, event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether an awaited event of ``event_type`` is meant for ``run`` (a branch's end is meant
    for its parent only; every other awaited event for any run that waits for it)."""
    return event_type != BRANCH_ENDED or data.get("parent_run") == run.id
