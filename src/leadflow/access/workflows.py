"""Workflows as one tenant sees them: drafts, validation, publishing, versions, diffs,
migrations and node counts. Workflow keys are per tenant: every key here is the caller's
tenant's, so another tenant's workflow of the same key is neither seen, changed nor in the way
(a key the tenant has not published is NotFound, whoever else has it). Writes need an admin or
manager key."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.definitions.diff import DefinitionDiff, diff_definitions
from leadflow.definitions.graph import NODE_ID
from leadflow.definitions.models import WorkflowDefinition
from leadflow.definitions.validation import validate
from leadflow.engine.migrate import MigrationPlan, MigrationResult, apply_migration, plan_migration
from leadflow.engine.workflows import check_against_store, publish
from leadflow.engine.workflows import enroll as enroll_contacts
from leadflow.errors import InvalidInput, NotFound, WorkflowInvalid
from leadflow.model.records import Draft, EnrollOutcome, NodeCount, Scope, WorkflowVersion
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


@dataclass(slots=True)
class Check:
    """A definition's validation: every error and warning as ``"<path>: <problem>"``."""

    errors: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def owned(
    store: Store, tenant_id: str, key: str, *, published: bool = True
) -> WorkflowVersion | None:
    """The latest version of ``tenant_id``'s workflow ``key``. NotFound when the tenant has not
    published it and ``published`` is asked for (whatever other tenants have: keys are per
    tenant); None then otherwise."""
    latest = store.get_workflow(tenant_id, key)
    if latest is None and published:
        raise NotFound(f"no workflow {key!r} is published")
    return latest


def published_version(store: Store, tenant_id: str, key: str, version: int) -> WorkflowVersion:
    owned(store, tenant_id, key)
    found = store.get_workflow(tenant_id, key, version)
    if found is None:
        raise NotFound(f"workflow {key!r} has no version {version}")
    return found


def version_of(
    store: Store, tenant_id: str, key: str, version: int | None = None
) -> WorkflowVersion:
    """One version (the latest when ``version`` is None) of a workflow of the tenant;
    NotFound names what is missing (another tenant's workflow is missing too)."""
    if version is not None:
        return published_version(store, tenant_id, key, version)
    latest = owned(store, tenant_id, key)
    assert latest is not None
    return latest


def published(store: Store, tenant_id: str | None) -> list[WorkflowVersion]:
    """The latest version of every workflow the tenant published, by key; with None (the
    operator of the installation, on the command line) every tenant's."""
    return store.list_workflows(tenant_id)


def check(rt: Runtime | None, tenant_id: str, data: Any) -> Check:
    """Validate ``data`` as a definition, and (given a runtime) against what the tenant
    published and the registered custom actions; never raises."""
    report = validate(data)
    errors, warnings = list(report.errors), list(report.warnings)
    if rt is not None and report.definition is not None:
        more_errors, more_warnings = check_against_store(
            rt.store, rt.engine.registry, report.definition, tenant_id
        )
        errors += more_errors
        warnings += more_warnings
    return Check(errors, warnings)


# Path words of the workflows resource that a workflow key would shadow (GET /workflows/drafts,
# GET /workflows/schema).
RESERVED_KEYS = frozenset({"drafts", "schema"})


def _same_key(key: str, data: dict[str, Any]) -> None:
    if key in RESERVED_KEYS:
        raise WorkflowInvalid([f"key: {key!r} is reserved by the API; choose another key"])
    if data.get("key") != key:
        raise WorkflowInvalid([f"key: must be {key!r}, the workflow key in the path"])


# ---------------------------------------------------------------------------- drafts
def save_draft(
    rt: Runtime, principal: Principal, key: str, data: dict[str, Any], now: float
) -> tuple[Draft, Check]:
    require_role(principal, WRITE_ROLES, "saving a workflow draft")
    _same_key(key, data)
    draft = rt.store.save_draft(Draft(principal.tenant_id, key, data, now, principal.key_id))
    return draft, check(rt, principal.tenant_id, draft.definition)


def get_draft(store: Store, tenant_id: str, key: str) -> Draft:
    owned(store, tenant_id, key, published=False)
    found = store.get_draft(tenant_id, key)
    if found is None:
        raise NotFound(f"workflow {key!r} has no draft")
    return found


MAX_LAYOUT_NODES = 2000
MAX_COORDINATE = 1e7


def check_layout(layout: dict[str, dict[str, float]]) -> None:
    """A layout's bounds: at most MAX_LAYOUT_NODES nodes, each id a node id, each coordinate
    a finite number within +-MAX_COORDINATE (InvalidInput names the field)."""
    if len(layout) > MAX_LAYOUT_NODES:
        raise InvalidInput(f"nodes: at most {MAX_LAYOUT_NODES} nodes, got {len(layout)}")
    for node, place in layout.items():
        if not NODE_ID.match(node) or len(node) > 200:
            raise InvalidInput(f"nodes: {node[:60]!r} is not a node id")
        for axis in ("x", "y"):
            v = place[axis]
            if not math.isfinite(v) or abs(v) > MAX_COORDINATE:
                raise InvalidInput(
                    f"nodes.{node}.{axis}: a finite number within +-{MAX_COORDINATE:g}"
                )


def save_layout(
    store: Store, principal: Principal, key: str, layout: dict[str, dict[str, float]]
) -> Draft:
    """Store where the designer placed the draft's nodes (the draft itself is unchanged)."""
    require_role(principal, WRITE_ROLES, "saving a workflow draft's layout")
    check_layout(layout)
    owned(store, principal.tenant_id, key, published=False)
    found = store.set_draft_layout(principal.tenant_id, key, layout)
    if found is None:
        raise NotFound(f"workflow {key!r} has no draft (save the draft first)")
    return found


def save_workflow_layout(
    store: Store, principal: Principal, key: str, layout: dict[str, dict[str, float]], now: float
) -> None:
    """Store where the designer placed a published workflow's nodes (NotFound when the tenant
    has not published ``key``)."""
    require_role(principal, WRITE_ROLES, "saving a workflow's layout")
    check_layout(layout)
    owned(store, principal.tenant_id, key)
    store.set_workflow_layout(principal.tenant_id, key, layout, now)


def workflow_layout(store: Store, tenant_id: str, key: str) -> dict[str, dict[str, float]] | None:
    """The layout kept for a workflow of the tenant (None when never placed)."""
    return store.get_workflow_layout(tenant_id, key)


def delete_draft(store: Store, principal: Principal, key: str) -> None:
    require_role(principal, WRITE_ROLES, "deleting a workflow draft")
    owned(store, principal.tenant_id, key, published=False)
    if not store.delete_draft(principal.tenant_id, key):
        raise NotFound(f"workflow {key!r} has no draft")


# ---------------------------------------------------------------------------- publishing
def publish_workflow(
    rt: Runtime, principal: Principal, key: str, data: dict[str, Any] | None, now: float
) -> tuple[WorkflowVersion, bool]:
    """Publish ``data``, or the draft when None (the draft is deleted then); (the version,
    whether it is new: publishing what the latest version already says makes none)."""
    require_role(principal, WRITE_ROLES, "publishing a workflow")
    tenant = principal.tenant_id
    latest = owned(rt.store, tenant, key, published=False)
    source = "body"
    if data is None:
        data, source = get_draft(rt.store, tenant, key).definition, "draft"
    _same_key(key, data)
    try:
        version = publish(
            rt.store,
            rt.engine.catalog,
            data,
            now,
            rt.engine.registry,
            tenant,
        )
    except WorkflowInvalid as exc:
        raise WorkflowInvalid(exc.errors, source) from None
    draft = rt.store.get_draft(tenant, key)
    if draft is not None and draft.layout is not None:  # the published nodes keep their places
        rt.store.set_workflow_layout(tenant, key, draft.layout, now)
    if source == "draft":
        rt.store.delete_draft(tenant, key)
    return version, latest is None or version.version != latest.version


def publish_definition(
    rt: Runtime, principal: Principal, data: Any, now: float
) -> tuple[WorkflowVersion, bool]:
    """Publish a definition given whole (a file on the command line): the workflow it names
    by its ``key``, as :func:`publish_workflow` does for that key."""
    key = data.get("key") if isinstance(data, dict) else None
    if not isinstance(key, str) or not key:
        require_role(principal, WRITE_ROLES, "publishing a workflow")
        raise WorkflowInvalid(validate(data).errors or ["key: a workflow key is required"])
    return publish_workflow(rt, principal, key, data, now)


def versions(store: Store, tenant_id: str, key: str) -> list[WorkflowVersion]:
    latest = owned(store, tenant_id, key)
    assert latest is not None
    found = [store.get_workflow(tenant_id, key, v) for v in range(1, latest.version)]
    return [wf for wf in found if wf is not None] + [latest]


def diff(store: Store, tenant_id: str, key: str, old: int, new: int) -> DefinitionDiff:
    a = published_version(store, tenant_id, key, old)
    b = published_version(store, tenant_id, key, new)
    return diff_definitions(
        WorkflowDefinition.model_validate(a.definition),
        WorkflowDefinition.model_validate(b.definition),
        f"{key} v{old}",
        f"{key} v{new}",
    )


# ---------------------------------------------------------------------------- runs
def migrate(
    rt: Runtime,
    principal: Principal,
    key: str,
    to_version: int,
    mapping: dict[str, str],
    *,
    from_version: int | None = None,
    dry_run: bool = True,
    skip_unmapped: bool = False,
    unmapped_hint: str = "map them in mapping or set skip_unmapped",
) -> tuple[MigrationPlan, MigrationResult | None]:
    """Plan (and unless ``dry_run``, apply) moving the workflow's open runs to ``to_version``.
    Runs at nodes without a counterpart refuse the move unless skipped; the refusal ends with
    ``unmapped_hint``, which says it in the words of the caller's door."""
    require_role(principal, WRITE_ROLES, "migrating runs")
    tenant = principal.tenant_id
    published_version(rt.store, tenant, key, to_version)
    catalog = rt.engine.catalog
    target = catalog.get(tenant, key, to_version)
    missing = sorted({new for new in mapping.values() if new not in target.nodes})
    if missing:
        raise InvalidInput(
            f"mapping: no node {', '.join(map(repr, missing))} in version {to_version}"
        )
    plan = plan_migration(
        rt.store, catalog, key, to_version, mapping, from_version, tenant_id=tenant
    )
    if dry_run:
        return plan, None
    if plan.unmapped and not skip_unmapped:
        where = ", ".join(f"v{m.from_version}:{m.from_node} ({m.runs})" for m in plan.unmapped)
        raise InvalidInput(
            f"runs at nodes with no counterpart in version {to_version}: {where}; " + unmapped_hint
        )
    now = rt.clock.now()
    result = apply_migration(
        rt.store, catalog, plan, now, skip_unmapped=skip_unmapped, from_version=from_version
    )
    return plan, result


def enroll(
    rt: Runtime, principal: Principal, key: str, contact_ids: Sequence[str] | None, now: float
) -> EnrollOutcome:
    """Enroll contacts (every contact when ``contact_ids`` is None) of the caller's tenant in
    the latest version of its workflow ``key`` (re-entry policy applies). An id that is no
    contact of the caller's tenant is NotFound (``contact_ids``, naming every such id), whether
    it is nobody's or another tenant's: the answer does not tell which; nothing is enrolled."""
    require_role(principal, WRITE_ROLES, "enrolling contacts")
    owned(rt.store, principal.tenant_id, key)
    if contact_ids is not None:
        known = rt.store.get_contacts(contact_ids)
        unknown = [
            c for c in contact_ids if c not in known or known[c].tenant_id != principal.tenant_id
        ]
        if unknown:
            raise NotFound(f"contact_ids: no contact with id {', '.join(map(repr, unknown))}")
    catalog, tenant = rt.engine.catalog, principal.tenant_id
    everyone = contact_ids is None
    return enroll_contacts(
        rt.store, catalog, key, now, contact_ids=contact_ids, everyone=everyone, tenant_id=tenant
    )


def node_counts(store: Store, scope: Scope, key: str) -> list[NodeCount]:
    """Per version and node: entered, sent ... current, over the leads ``scope`` may see."""
    owned(store, scope.tenant_id, key)
    return store.node_counts(key, scope)


def runs_by_status(store: Store, scope: Scope, key: str) -> dict[str, int]:
    """How many runs of the workflow are in each status, over the leads ``scope`` may see (the
    runs of the tenant's workflow: another tenant's runs of its own workflow of that key are
    not counted)."""
    owned(store, scope.tenant_id, key)
    return store.count_runs(key, scope)
