"""Publishing workflows and enrolling contacts: the operations the CLI and API share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadflow.definitions.models import Action
from leadflow.definitions.validation import validate
from leadflow.engine.catalog import Catalog
from leadflow.engine.handlers import Registry
from leadflow.engine.schedules import schedules_for
from leadflow.errors import InvalidInput, WorkflowInvalid
from leadflow.store.contract import Store
from leadflow.store.records import EnrollOutcome, EnrollRequest, WorkflowVersion


def publish(
    store: Store, catalog: Catalog, data: Any, now: float, registry: Registry | None = None
) -> WorkflowVersion:
    """Validate and publish a definition as a new immutable version (none if unchanged). With a
    ``registry``, every ``action`` node must name a registered custom action."""
    report = validate(data)
    if not report.ok or report.definition is None:
        raise WorkflowInvalid(report.errors)
    definition = report.definition
    if registry is not None:
        missing = [
            f"nodes[{i}]({node.id}).action: no custom action registered as {node.action!r}"
            f" (registered: {', '.join(registry.actions()) or 'none'})"
            for i, node in enumerate(definition.nodes)
            if isinstance(node, Action) and node.action not in registry.actions()
        ]
        if missing:
            raise WorkflowInvalid(missing)
    body = definition.model_dump(mode="json", by_alias=True)
    version = store.publish_workflow(definition.key, definition.name, body, now)
    store.set_schedules(definition.key, schedules_for(definition, version.version, now))
    catalog.bump()
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
    """Enroll contacts in the latest version of ``key`` (manual trigger), honouring re-entry."""
    wf = catalog.latest(key)
    reentry = wf.definition.settings.reentry
    if everyone:
        return store.enroll_all(wf.key, wf.version, wf.start, now, reentry.policy, reentry.days)
    if not contact_ids:
        raise InvalidInput("enroll: give --all or at least one --contact ID")
    trigger = context or {"trigger": {"type": "manual", "data": {}}}
    requests = [
        EnrollRequest(
            wf.key, wf.version, cid, wf.start, dict(trigger), reentry.policy, reentry.days
        )
        for cid in contact_ids
    ]
    return store.enroll(requests, now)
