"""The ``parallel`` node: fork into branch runs, wait, join on all or any.

``enter`` starts one branch run per branch (enrollments of the step: committed with it or not
at all) and sleeps waiting for :data:`~leadflow.engine.forks.BRANCH_ENDED`, until the timeout
if there is one. ``resume`` (a branch ended, the timeout passed, or a resume by hand) reads
the branch runs' real statuses through ``ctx.branch_runs``, never the event's word: the event
is only the signal to look. When the join holds, the run goes on to ``next`` and lets go of
the fork; whoever commits that cancels the branches still running (:mod:`.branches`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.definitions import models as m
from leadflow.definitions.conditions import ENTERED
from leadflow.engine import forks
from leadflow.engine.context import Go, Result, Sleep, StepContext
from leadflow.engine.limits import CHAIN
from leadflow.errors import PermanentStepError
from leadflow.model.records import ENDED_STATUSES, EnrollRequest, Run, RunStatus

# What a branch run starts with from its parent's context: the trigger, variables, facts of
# earlier steps, the values ``changed`` compares with, the chain of workflows.
_INHERITED = ("trigger", "vars", "steps", ENTERED, CHAIN)
_SUCCESS = frozenset({RunStatus.COMPLETED, RunStatus.EXITED})


class ParallelHandler:
    def enter(self, ctx: StepContext, node: m.Parallel) -> Result:
        timeout = ctx.workflow.durations.get(node.id)
        deadline = ctx.now + timeout if timeout is not None else None
        visit = ctx.step_seq
        ctx.context[forks.FORK] = {"node": node.id, "visit": visit, "deadline": deadline}
        base = {k: ctx.context[k] for k in _INHERITED if k in ctx.context}
        run = ctx.run
        for branch in node.branches:
            link = {
                "parent": run.id,
                "node": node.id,
                "visit": visit,
                "branch": branch.name,
                "join": node.next,
            }
            ctx.enrollments.append(
                EnrollRequest(
                    workflow_key=ctx.workflow.key,
                    version=ctx.workflow.version,
                    contact_id=run.contact_id,
                    start_node=branch.start,
                    context={**base, forks.BRANCH: link},
                    reentry=forks.BRANCH_REENTRY,
                )
            )
        names = [b.name for b in node.branches]
        data = {"branches": names, "join": node.join, "until": deadline}
        return Sleep(deadline, waiting_for=forks.BRANCH_ENDED, outcome="forked", data=data)

    def resume(self, ctx: StepContext, node: m.Parallel) -> Result:
        fork = forks.fork_of(ctx.context)
        if fork is None or fork.get("node") != node.id:  # no fork held here: start one
            return self.enter(ctx, node)
        ended = _ended(ctx, fork)
        names = [b.name for b in node.branches]
        statuses = {name: str(ended[name].status) for name in names if name in ended}
        failed = [name for name in names if statuses.get(name) == RunStatus.FAILED]
        if failed and node.on_branch_error == "fail":
            self._close(ctx, node, statuses)
            run = ended[failed[0]]
            raise PermanentStepError(f"parallel: branch {failed[0]!r} failed: {run.error}")
        succeeded = [name for name in names if statuses.get(name) in _SUCCESS]
        if len(statuses) == len(names) or (node.join == "any" and succeeded):
            self._close(ctx, node, statuses, [ended[n] for n in names if n in ended])
            first = succeeded[0] if node.join == "any" and succeeded else None
            if first is not None:
                ctx.remember(node.id, first=first)
            return Go(node.next, outcome=f"joined:{first}" if first else "joined", data=statuses)
        deadline = fork.get("deadline")
        if deadline is not None and ctx.now >= float(deadline):
            self._close(ctx, node, statuses)
            return Go(node.next, outcome="timeout", data=statuses)
        wake = float(deadline) if deadline is not None else None
        return Sleep(wake, waiting_for=forks.BRANCH_ENDED, outcome="waiting", data=statuses)

    @staticmethod
    def _close(
        ctx: StepContext, node: m.Parallel, statuses: dict[str, str], runs: Sequence[Run] = ()
    ) -> None:
        """Let go of the fork; keep what each branch learned (``steps.<node>``) and how each
        ended (``steps.<parallel>.branches``) for the nodes after the join."""
        ctx.context.pop(forks.FORK, None)
        for run in runs:
            for node_id, facts in (run.context.get("steps") or {}).items():
                if isinstance(facts, dict):
                    ctx.remember(node_id, **facts)
        ctx.remember(node.id, branches=dict(statuses))


def _ended(ctx: StepContext, fork: dict[str, Any]) -> dict[str, Run]:
    """This fork's branch runs that ended, by branch name."""
    if ctx.branch_runs is None:
        return {}
    out: dict[str, Run] = {}
    for run in ctx.branch_runs(ctx.run):
        link = forks.link(run.context)
        if (
            link is None
            or link.get("visit") != fork.get("visit")
            or link.get("node") != fork.get("node")
        ):
            continue
        if run.status in ENDED_STATUSES:
            out[str(link.get("branch"))] = run
    return out
