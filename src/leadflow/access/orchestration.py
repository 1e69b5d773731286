"""AI task orchestration as one tenant sees it: submit a batch of AI tasks (checked whole,
every contact resolved inside the caller's scope, stored in one transaction), read a batch and
each task's status, result, confidence, tokens and error, list batches, cancel a batch. The
workers run the tasks (``leadflow.ai.orchestration.runner``)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from leadflow.access.scope import ANY_ROLE, WRITE_ROLES, require_role, scope_of
from leadflow.ai.client import LlmConfig
from leadflow.ai.orchestration.kinds import USES_MODEL
from leadflow.ai.orchestration.runner import server_of
from leadflow.ai.orchestration.spec import TaskSpec, check_batch
from leadflow.clock import to_iso
from leadflow.errors import InvalidInput, NotFound, StoreError
from leadflow.model.orchestration import OrchBatch, OrchTask, batch_status
from leadflow.model.records import DEFAULT_TENANT
from leadflow.model.tenancy import Tenant
from leadflow.store.orchestration_claims import LOCAL
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.runtime import Runtime

MAX_LABEL = 200


def _contacts_of(spec: TaskSpec) -> list[tuple[str, str]]:
    """(field, contact id) of every contact the task names."""
    if spec.kind == "compose":
        return [(f"contact_ids[{i}]", c) for i, c in enumerate(spec.input["contact_ids"])]
    if spec.kind == "summarise":
        return [("contact_id", spec.input["contact_id"])]
    return []


def _check_contacts(rt: Runtime, principal: Principal, specs: list[TaskSpec]) -> None:
    scope = scope_of(rt.store, principal)
    wanted = {cid for s in specs for _, cid in _contacts_of(s)}
    found = rt.store.get_contacts(sorted(wanted)) if wanted else {}
    for i, spec in enumerate(specs):
        for where, cid in _contacts_of(spec):
            contact = found.get(cid)
            if contact is None or not scope.allows(contact):
                raise NotFound(f"tasks[{i}] ({spec.id!r}).input.{where}: no contact {cid!r}")


def _ensure_tenant(rt: Runtime, tenant_id: str, now: float) -> None:
    """Batches belong to a stored tenant. The implicit tenant of a single-tenant install
    (``default``) is made on first use; any other must have been created."""
    if rt.store.get_tenant(tenant_id) is not None:
        return
    if tenant_id != DEFAULT_TENANT:
        raise NotFound(
            f"tenant {tenant_id!r} does not exist (create it with "
            f"`leadflow tenants create {tenant_id}`)"
        )
    try:
        rt.store.create_tenant(Tenant(DEFAULT_TENANT, "Default"), now)
    except StoreError:
        if rt.store.get_tenant(tenant_id) is None:  # not a lost race: a real failure
            raise


def submit(rt: Runtime, principal: Principal, body: Any, now: float) -> dict[str, Any]:
    """Store the batch ``body`` ({label?, tasks: [...]}); the batch as :func:`show` gives it."""
    tenant = require_role(principal, WRITE_ROLES, "submitting AI tasks")
    if not isinstance(body, dict):
        raise InvalidInput("body: an object {label, tasks} is needed")
    label = body.get("label") or ""
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        raise InvalidInput(f"label: a text of at most {MAX_LABEL} characters")
    unknown = sorted(set(body) - {"label", "tasks"})
    if unknown:
        raise InvalidInput(f"body: unknown field(s): {', '.join(unknown)}")
    specs = check_batch(body.get("tasks"))
    _check_contacts(rt, principal, specs)
    _ensure_tenant(rt, tenant, now)
    server = server_of(LlmConfig.from_settings(rt.settings))
    batch = OrchBatch(uuid.uuid4().hex, tenant, now, label)
    tasks = [
        OrchTask(
            batch_id=batch.id,
            task_id=s.id,
            tenant_id=tenant,
            kind=s.kind,
            input=s.input,
            priority=s.priority,
            depends_on=list(s.depends_on),
            server=server if s.kind in USES_MODEL else LOCAL,
            seq=i,
            created_at=now,
            ready=not s.depends_on,
        )
        for i, s in enumerate(specs)
    ]
    rt.store.create_orch_batch(batch, tasks)
    return show(rt, principal, batch.id)


def _task_view(t: OrchTask) -> dict[str, Any]:
    return {
        "id": t.task_id,
        "kind": t.kind,
        "status": str(t.status),
        "priority": t.priority,
        "depends_on": list(t.depends_on),
        "attempts": t.attempts,
        "result": t.result,
        "confidence": t.confidence,
        "tokens": {"in": t.tokens_in, "out": t.tokens_out},
        "error": t.error,
        "started_at": to_iso(t.started_at),
        "finished_at": to_iso(t.finished_at),
    }


def _batch_view(b: OrchBatch) -> dict[str, Any]:
    return {
        "id": b.id,
        "label": b.label,
        "status": batch_status(b),
        "created_at": to_iso(b.created_at),
        "cancelled_at": to_iso(b.cancelled_at),
        "counts": dict(sorted(b.counts.items())),
    }


def show(rt: Runtime, principal: Principal, batch_id: str) -> dict[str, Any]:
    """The batch, its status (running, cancelling, completed, completed_with_errors, cancelled),
    counts by task status, and every task; NotFound for another tenant's batch."""
    tenant = require_role(principal, ANY_ROLE, "reading AI tasks")
    batch = rt.store.get_orch_batch(tenant, batch_id)
    if batch is None:
        raise NotFound(f"no orchestration batch {batch_id!r}")
    tasks = rt.store.orch_tasks(tenant, batch_id)
    tokens_in = sum(t.tokens_in for t in tasks)
    tokens_out = sum(t.tokens_out for t in tasks)
    return {
        **_batch_view(batch),
        "tokens": {"in": tokens_in, "out": tokens_out},
        "tasks": [_task_view(t) for t in tasks],
    }


def list_batches(rt: Runtime, principal: Principal, limit: int = 50) -> list[dict[str, Any]]:
    tenant = require_role(principal, ANY_ROLE, "reading AI tasks")
    return [_batch_view(b) for b in rt.store.list_orch_batches(tenant, limit)]


def cancel(rt: Runtime, principal: Principal, batch_id: str, now: float) -> dict[str, Any]:
    """Cancel the batch: pending tasks are cancelled, running ones finish; the batch after."""
    tenant = require_role(principal, WRITE_ROLES, "cancelling AI tasks")
    if rt.store.cancel_orch_batch(tenant, batch_id, now) is None:
        raise NotFound(f"no orchestration batch {batch_id!r}")
    return show(rt, principal, batch_id)


__all__ = ["cancel", "list_batches", "show", "submit"]
