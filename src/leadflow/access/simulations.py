"""Simulating a workflow definition (a draft, published or not) for one tenant: the designer's
"Simulate" button. The definition is checked against the tenant first (every workflow it
starts must be the tenant's, published or drafted); the simulation runs in a scratch store with
synthetic leads over virtual days (:mod:`leadflow.simulate.draft`), so no lead of the tenant is
read or written and nothing is published."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.access.workflows import check
from leadflow.definitions.io import canonical_data
from leadflow.definitions.models import WorkflowDefinition
from leadflow.errors import InvalidInput, WorkflowInvalid
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.runtime import Runtime

MAX_LEADS = 500
MAX_DAYS = 60.0
MAX_COMPANIONS = 20


def _started(definition: dict[str, Any]) -> list[str]:
    return [
        str(n["workflow"])
        for n in definition.get("nodes") or []
        if isinstance(n, dict) and n.get("kind") == "start_workflow" and n.get("workflow")
    ]


def companions(store: Store, tenant_id: str, definition: dict[str, Any]) -> list[dict[str, Any]]:
    """The definitions of the workflows ``definition`` starts, and those they start, each the
    tenant's latest published version (else its draft): never another tenant's."""
    found: dict[str, dict[str, Any]] = {}
    todo = deque(_started(definition))
    while todo:
        key = todo.popleft()
        if key in found or key == definition.get("key"):
            continue
        if len(found) >= MAX_COMPANIONS:
            raise InvalidInput(f"definition: starts more than {MAX_COMPANIONS} workflows")
        latest = store.get_workflow(tenant_id, key)
        draft = store.get_draft(tenant_id, key) if latest is None else None
        if latest is None and draft is None:  # check() refused it already; a race otherwise
            raise WorkflowInvalid([f"start_workflow: no workflow {key!r} in this tenant"])
        other = latest.definition if latest is not None else draft.definition  # type: ignore[union-attr]
        found[key] = other
        todo.extend(_started(other))
    return list(found.values())


def simulate_definition(
    rt: Runtime,
    principal: Principal,
    data: dict[str, Any],
    *,
    leads: int,
    days: float,
    seed: int,
) -> dict[str, Any]:
    """The per-node funnel, per-edge counts, compliance deferrals and failures of ``data``
    run for ``leads`` synthetic leads over ``days`` virtual days (same seed, same numbers)."""
    require_role(principal, WRITE_ROLES, "simulating a workflow")
    if not 1 <= leads <= MAX_LEADS:
        raise InvalidInput(f"leads: from 1 to {MAX_LEADS}, got {leads}")
    if not 0 < days <= MAX_DAYS:
        raise InvalidInput(f"days: more than 0 and at most {MAX_DAYS:g}, got {days:g}")
    checked = check(rt, principal.tenant_id, data)
    if not checked.ok:
        raise WorkflowInvalid(checked.errors)
    definition = canonical_data(WorkflowDefinition.model_validate(data))
    others = companions(rt.store, principal.tenant_id, definition)
    from leadflow.simulate.draft import simulate_draft  # the engine: only when simulating

    sim = simulate_draft(definition, leads=leads, days=days, seed=seed, companions=others)
    return {"key": definition["key"], **sim.summary(), "warnings": checked.warnings}


__all__ = ["MAX_DAYS", "MAX_LEADS", "companions", "simulate_definition"]
