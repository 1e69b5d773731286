"""Rewinding a run (run time travel) through the API and the command line: admins and managers
only, on runs of their scope (another tenant's run is "not found"); a dry run by default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow.access.runs import visible_run
from leadflow.access.scope import WRITE_ROLES, actor, require_role
from leadflow.clock import to_iso
from leadflow.engine.rewind import RewindPlan, apply_rewind, plan_rewind
from leadflow.model.records import Run, Scope
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


@dataclass(slots=True)
class Rewound:
    plan: RewindPlan
    dry_run: bool
    run: Run  # as it is now: unchanged after a dry run, moved after a real one


def rewind_run(
    rt: Runtime,
    principal: Principal,
    scope: Scope,
    run_id: int,
    now: float,
    *,
    to_node: str | None = None,
    from_step: int | None = None,
    dry_run: bool = True,
) -> Rewound:
    """Plan (and unless ``dry_run``, apply) the rewind of a run in scope to ``to_node`` (a node
    it visited) or to the node of its step ``from_step``."""
    require_role(principal, WRITE_ROLES, "rewind a run")
    run = visible_run(rt.store, scope, run_id)
    contact = rt.store.get_contact(run.contact_id)
    tenant = contact.tenant_id if contact is not None else scope.tenant_id
    wf = rt.engine.catalog.get(tenant, run.workflow_key, run.version)
    plan = plan_rewind(
        rt.store, rt.engine, run, contact, wf, now, to_node=to_node, from_step=from_step
    )
    if dry_run:
        return Rewound(plan, True, run)
    moved = apply_rewind(rt.store, run, plan, now, actor(principal))
    return Rewound(plan, False, moved)


def rewound_json(out: Rewound) -> dict[str, Any]:
    """The answer, one shape for the API and the command line (times in ISO 8601)."""
    plan = out.plan
    return {
        "run_id": plan.run_id,
        "dry_run": out.dry_run,
        "from_node": plan.from_node,
        "to_node": plan.to_node,
        "from_step": plan.from_step,
        "changes": {
            "status": {"before": plan.status_before, "after": plan.status_after},
            "node": {"before": plan.from_node, "after": plan.to_node},
            "wake_at": {"before": to_iso(plan.wake_before), "after": to_iso(plan.wake_after)},
        },
        "path": [
            {
                "node": p.node,
                "kind": p.kind,
                "channel": p.channel,
                "resend": p.resend,
                "chosen": p.chosen,
            }
            for p in plan.path
        ],
        "resend": [{"node": p.node, "kind": p.kind, "channel": p.channel} for p in plan.resend],
        "stops": plan.stops,
        "still_queued": plan.still_queued,
        "status": out.run.status,
        "node": out.run.node,
    }
