"""Publishing workflows and enrolling contacts: the operations the CLI and API share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.definitions.models import Action, StartWorkflow, UpdateContact, WorkflowDefinition
from leadflow.definitions.validation import validate
from leadflow.engine.baseline import entered
from leadflow.engine.catalog import Catalog
from leadflow.engine.plugins import Registry
from leadflow.engine.schedules import schedules_for
from leadflow.errors import InvalidInput, WorkflowInvalid
from leadflow.model.records import DEFAULT_TENANT, EnrollOutcome, EnrollRequest, WorkflowVersion
from leadflow.store.contract import Store


def check_against_store(
    store: Store,
    registry: Registry | None,
    definition: WorkflowDefinition,
    tenant_id: str,
) -> tuple[list[str], list[str]]:
    """(errors, warnings) a definition has against what ``tenant_id`` published and what is
    registered. Every reference resolves inside the tenant: a start_workflow target the tenant
    has neither published nor saved as a draft is an error, worded the same whether another
    tenant has that key or nobody does (a workflow may start itself; two that start each other
    are published after saving the second as a draft, and a run reaching a target that is
    still unpublished fails its step); an update_contact owner that is no agent of the tenant
    is a warning. With a ``registry``, a custom action nobody registered is an error."""
    errors, warnings = [], []
    actions = registry.actions() if registry is not None else None
    for i, node in enumerate(definition.nodes):
        where = f"nodes[{i}]({node.id})"
        if (
            isinstance(node, StartWorkflow)
            and node.workflow != definition.key
            and store.get_workflow(tenant_id, node.workflow) is None
            and store.get_draft(tenant_id, node.workflow) is None
        ):
            errors.append(
                f"{where}.workflow: no workflow {node.workflow!r} in this tenant"
                " (publish it, or save it as a draft, first)"
            )
        if (
            isinstance(node, UpdateContact)
            and node.owner is not None
            and store.get_agent(tenant_id, node.owner) is None
        ):
            warnings.append(f"{where}.owner: no agent {node.owner!r} in this tenant")
        if actions is not None and isinstance(node, Action) and node.action not in actions:
            errors.append(
                f"{where}.action: no custom action registered as {node.action!r}"
                f" (registered: {', '.join(actions) or 'none'})"
            )
    return errors, warnings


def publish(
    store: Store,
    catalog: Catalog,
    data: Any,
    now: float,
    registry: Registry | None = None,
    tenant_id: str = DEFAULT_TENANT,
) -> WorkflowVersion:
    """Validate and publish a definition as a new immutable version (none if unchanged) of
    ``tenant_id``'s workflow of that key (keys are per tenant). Every start_workflow target must
    be a workflow the tenant published; with a ``registry``, every ``action`` node must name a
    registered custom action, and the registry's publish hooks are called with the stored
    version, the definition and ``now`` once it is stored (also when nothing changed): the
    features keep their own state in step with what is published."""
    report = validate(data)
    if not report.ok or report.definition is None:
        raise WorkflowInvalid(report.errors)
    definition = report.definition
    missing, _ = check_against_store(store, registry, definition, tenant_id)
    if missing:
        raise WorkflowInvalid(missing)
    body = definition.model_dump(mode="json", by_alias=True)
    version = store.publish_workflow(definition.key, definition.name, body, now, tenant_id)
    store.set_schedules(tenant_id, definition.key, schedules_for(definition, version.version, now))
    catalog.bump()
    for hook in registry.publish_hooks if registry is not None else ():
        hook(version, definition, now)
    return version


def enroll(
    store: Store,
    catalog: Catalog,
    key: str,
    now: float,
    *,
    contact_ids: Sequence[str] | None = None,
    everyone: bool = False,
    context: dict[str, Any] | None = None,
    tenant_id: str = DEFAULT_TENANT,
) -> EnrollOutcome:
    """Enroll contacts in the latest version of ``tenant_id``'s workflow ``key`` (manual
    trigger), honouring re-entry. Only contacts of that tenant are enrolled (others count as
    skipped)."""
    wf = catalog.latest(tenant_id, key)
    reentry = wf.definition.settings.reentry
    if everyone:
        return store.enroll_all(
            wf.key, wf.version, wf.start, now, reentry.policy, reentry.days, wf.tenant_id
        )
    if not contact_ids:
        raise InvalidInput("enroll: give --all or at least one --contact ID")
    found = store.get_contacts(contact_ids)
    foreign = {cid for cid, c in found.items() if c.tenant_id != wf.tenant_id}
    contact_ids = [cid for cid in contact_ids if cid not in foreign]
    trigger = context or {"trigger": {"type": "manual", "data": {}}}
    requests = [
        EnrollRequest(
            wf.key,
            wf.version,
            cid,
            wf.start,
            {**trigger, **entered(wf, found.get(cid))},
            reentry.policy,
            reentry.days,
        )
        for cid in contact_ids
    ]
    out = store.enroll(requests, now) if requests else EnrollOutcome()
    out.skipped += len(foreign)
    return out
