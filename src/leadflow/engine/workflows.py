"""Publishing workflows and enrolling contacts: the operations the CLI and API share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from leadflow.definitions.models import Action, StartWorkflow, WorkflowDefinition
from leadflow.definitions.validation import validate
from leadflow.engine.catalog import Catalog
from leadflow.engine.handlers import Registry
from leadflow.engine.schedules import schedules_for
from leadflow.errors import InvalidInput, WorkflowInvalid
from leadflow.store.contract import Store
from leadflow.store.records import DEFAULT_TENANT, EnrollOutcome, EnrollRequest, WorkflowVersion

# Called once a version is published: (the version, its definition, now).
Published = Callable[[WorkflowVersion, WorkflowDefinition, float], None]


def check_against_store(
    store: Store,
    registry: Registry,
    definition: WorkflowDefinition,
    tenant_id: str | None = None,
) -> tuple[list[str], list[str]]:
    """(errors, warnings) a definition has against what is published and registered: a custom
    action nobody registered is an error; a start_workflow target not published yet (by
    ``tenant_id`` when given) a warning."""
    errors, warnings = [], []
    actions = registry.actions()
    for i, node in enumerate(definition.nodes):
        where = f"nodes[{i}]({node.id})"
        if isinstance(node, StartWorkflow) and node.workflow != definition.key:
            target = store.get_workflow(node.workflow)
            if target is None or (tenant_id is not None and target.tenant_id != tenant_id):
                warnings.append(f"{where}.workflow: no workflow {node.workflow!r} is published yet")
        if isinstance(node, Action) and node.action not in actions:
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
    on_published: Published | None = None,
) -> WorkflowVersion:
    """Validate and publish a definition as a new immutable version (none if unchanged) owned by
    ``tenant_id``. With a ``registry``, every ``action`` node must name a registered custom
    action. Conflict when another tenant owns the key. ``on_published`` is called with the
    stored version, the definition and ``now`` once it is stored (also when nothing changed):
    layers above the engine keep their own state in step with what is published."""
    report = validate(data)
    if not report.ok or report.definition is None:
        raise WorkflowInvalid(report.errors)
    definition = report.definition
    if registry is not None:
        missing, _ = check_against_store(store, registry, definition, tenant_id)
        if missing:
            raise WorkflowInvalid(missing)
    body = definition.model_dump(mode="json", by_alias=True)
    version = store.publish_workflow(definition.key, definition.name, body, now, tenant_id)
    store.set_schedules(definition.key, schedules_for(definition, version.version, now))
    catalog.bump()
    if on_published is not None:
        on_published(version, definition, now)
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
) -> EnrollOutcome:
    """Enroll contacts in the latest version of ``key`` (manual trigger), honouring re-entry.
    Only contacts of the workflow's tenant are enrolled (others count as skipped)."""
    wf = catalog.latest(key)
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
            wf.key, wf.version, cid, wf.start, dict(trigger), reentry.policy, reentry.days
        )
        for cid in contact_ids
    ]
    out = store.enroll(requests, now) if requests else EnrollOutcome()
    out.skipped += len(foreign)
    return out
