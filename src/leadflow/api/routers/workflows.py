"""``/api/v1/workflows``: published workflows and their versions, drafts, validation,
publishing, diffs between versions, migrating runs, and per-node counts.

Reads need any key of the tenant; writes (drafts, publish, migrate) an admin or manager key.
Workflow keys are per tenant: ``{key}`` is always the caller's tenant's workflow, so another
tenant's workflow of the same key is never seen, changed or in the way (a key the tenant has not
published answers 404 whoever else has it); see :mod:`leadflow.access.workflows`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadflow.access import previews
from leadflow.access import simulations as sims
from leadflow.access import workflows as wf
from leadflow.api.data.workflow_edits import (
    DraftList,
    DraftOut,
    LayoutIn,
    Published,
    ValidationOut,
    draft_list,
    draft_out,
    published_out,
    validation_out,
)
from leadflow.api.data.workflow_runs import (
    DiffOut,
    MigrateIn,
    MigrateOut,
    NodeCounts,
    RunsSummary,
    diff_out,
    migrate_out,
    node_counts_out,
)
from leadflow.api.data.workflows import (
    VersionList,
    WorkflowDetail,
    WorkflowList,
    get_published,
    list_published,
    version_list,
)
from leadflow.api.deps import AccessDep
from leadflow.api.openapi_bodies import WORKFLOW_BODY
from leadflow.api.problems import problem_responses
from leadflow.api.routes import delete_route, routed
from leadflow.definitions.schema import workflow_json_schema
from leadflow.errors import WorkflowInvalid

MAX_INT = 2**31 - 1
router = APIRouter(prefix="/workflows", tags=["workflows"])

Key = Annotated[str, Path(min_length=1, max_length=200, description="The workflow key.")]
Version = Annotated[int, Path(gt=0, le=MAX_INT, description="A version (1, 2, ...).")]
# The workflow routes take the same definition as YAML (api/yaml_body.py converts it).
YAML_TOO: dict[str, Any] = WORKFLOW_BODY  # the language's schema, JSON and YAML (openapi_bodies)
Definition = Annotated[
    dict[str, Any],
    Body(
        description="A workflow definition as JSON (the language of `leadflow workflows schema`)."
    ),
]


@router.get("", summary="List published workflows (latest version of each)")
def list_workflows(access: AccessDep) -> WorkflowList:
    return list_published(access.runtime.store, access.scope.tenant_id)


@router.get("/drafts", summary="List the tenant's workflow drafts")
def list_drafts(access: AccessDep) -> DraftList:
    return draft_list(access.runtime.store.list_drafts(access.scope.tenant_id))


@router.get(
    "/schema",
    summary="The JSON Schema of a workflow definition (each node kind under $defs)",
)
def definition_schema(access: AccessDep) -> dict[str, Any]:
    return workflow_json_schema()


class PreviewIn(BaseModel):
    template: Annotated[str, Field(max_length=20_000, description="A Jinja2 message template.")]
    contact_id: str | None = Field(
        default=None, max_length=200, description="A lead to render it for; a sample lead if null."
    )


class PreviewOut(BaseModel):
    text: str
    contact_id: str
    sample: bool = Field(description="True when rendered for the built-in sample lead.")


@routed(
    router.post,
    "/preview",
    "Render a message template for a lead (or a sample lead), as the worker would",
    404,
)
def preview_template(access: AccessDep, body: PreviewIn) -> PreviewOut:
    found = previews.preview(
        access.runtime.store, access.scope, body.template, body.contact_id, access.now()
    )
    return PreviewOut(text=found.text, contact_id=found.contact_id, sample=found.sample)


@router.post(
    "/validate",
    summary="Validate a definition (200 with the errors when it is invalid)",
    openapi_extra=YAML_TOO,
)
def validate_definition(access: AccessDep, definition: Definition) -> ValidationOut:
    return validation_out(wf.check(access.runtime, access.scope.tenant_id, definition))


class SimulateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] = Field(description="The definition to simulate (a draft).")
    leads: int = Field(default=50, ge=1, le=sims.MAX_LEADS, description="Synthetic leads.")
    days: float = Field(default=14.0, gt=0, le=sims.MAX_DAYS, description="Virtual days.")
    seed: int = Field(default=7, ge=0, le=MAX_INT, description="The same seed, the same numbers.")


@router.post(
    "/simulate",
    summary="Simulate a definition (a draft) over synthetic leads and virtual days",
    description="Nothing of the tenant is read but the workflows the definition starts (its "
    "own), nothing is written or published: the per-node funnel (entered, completed, failed, "
    "exited), the runs per edge, compliance deferrals and holds, and the failures with their "
    "reasons. 422 when the definition is invalid or a bound is passed (leads <= "
    f"{sims.MAX_LEADS}, days <= {sims.MAX_DAYS:g}).",
    responses=problem_responses(403),
)
def simulate(access: AccessDep, body: SimulateIn) -> dict[str, Any]:
    try:
        return sims.simulate_definition(
            access.runtime,
            access.principal,
            body.definition,
            leads=body.leads,
            days=body.days,
            seed=body.seed,
        )
    except WorkflowInvalid as exc:  # named where the request has it
        raise WorkflowInvalid(exc.errors, "body.definition") from None


@routed(router.get, "/{key}", "Show a published workflow", 404)
def get_workflow(
    access: AccessDep,
    key: Key,
    version: Annotated[
        int | None,
        Query(gt=0, le=MAX_INT, description="A version (1, 2, ...); the latest when omitted."),
    ] = None,
) -> WorkflowDetail:
    return get_published(access.runtime.store, access.scope.tenant_id, key, version)


@router.put(
    "/{key}/draft",
    summary="Save the workflow's draft (it may be invalid; the answer says how)",
    openapi_extra=YAML_TOO,
    responses=problem_responses(403),
)
def save_draft(access: AccessDep, key: Key, definition: Definition) -> DraftOut:
    draft, found = wf.save_draft(access.runtime, access.principal, key, definition, access.now())
    return draft_out(draft, found)


@routed(router.get, "/{key}/draft", "Show the workflow's draft, with its validation", 404)
def get_draft(access: AccessDep, key: Key) -> DraftOut:
    draft = wf.get_draft(access.runtime.store, access.scope.tenant_id, key)
    return draft_out(draft, wf.check(access.runtime, access.scope.tenant_id, draft.definition))


@routed(
    router.put,
    "/{key}/draft/layout",
    "Save where the designer placed the draft's nodes (the definition is unchanged)",
    403,
    404,
)
def save_draft_layout(access: AccessDep, key: Key, body: LayoutIn) -> DraftOut:
    layout = {k: {"x": p.x, "y": p.y} for k, p in body.nodes.items()}
    draft = wf.save_layout(access.runtime.store, access.principal, key, layout)
    return draft_out(draft, wf.check(access.runtime, access.scope.tenant_id, draft.definition))


@router.put(
    "/{key}/layout",
    summary="Save where the designer placed a published workflow's nodes",
    description="The layout is kept for the workflow key, beside its versions (never in a "
    "definition): `GET /workflows/{key}` answers it as `layout`. Publishing a draft that has a "
    "layout keeps that layout here too.",
    status_code=204,
    response_class=Response,
    responses=problem_responses(403, 404),
)
def save_workflow_layout(access: AccessDep, key: Key, body: LayoutIn) -> Response:
    layout = {k: {"x": p.x, "y": p.y} for k, p in body.nodes.items()}
    wf.save_workflow_layout(access.runtime.store, access.principal, key, layout, access.now())
    return Response(status_code=204)


@delete_route(router, "/{key}/draft", "Delete the workflow's draft", 403, 404)
def delete_draft(access: AccessDep, key: Key) -> Response:
    wf.delete_draft(access.runtime.store, access.principal, key)
    return Response(status_code=204)


@router.post(
    "/{key}/publish",
    summary="Publish the draft, or the definition in the body, as a new version",
    openapi_extra=YAML_TOO,
    description="201 when a new version was created; 200 (`created: false`) when the "
    "definition is the same as the latest version's, which is answered instead. The body may "
    "be JSON or YAML (`Content-Type: application/yaml`).",
    status_code=201,
    responses={
        200: {"model": Published, "description": "The same as the latest version: nothing new"},
        **problem_responses(403, 404),
    },
)
def publish(
    access: AccessDep,
    key: Key,
    response: Response,
    definition: Annotated[
        dict[str, Any] | None,
        Body(description="The definition to publish; the draft when there is no body."),
    ] = None,
) -> Published:
    version, created = wf.publish_workflow(
        access.runtime, access.principal, key, definition, access.now()
    )
    if not created:
        response.status_code = 200
    return published_out(version, created)


class EnrollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="The contacts to enroll (ids of the caller's tenant), at most 1,000.",
    )
    all: bool = Field(default=False, description="Enroll every contact of the tenant instead.")

    @model_validator(mode="after")
    def _one_of(self) -> EnrollIn:
        if self.all == (self.contact_ids is not None):
            raise ValueError("give either contact_ids (one or more) or all: true")
        return self


class EnrollOut(BaseModel):
    created: int = Field(description="Runs started.")
    skipped: int = Field(description="Contacts the workflow's re-entry policy kept out.")
    run_ids: list[int]


@routed(
    router.post,
    "/{key}/enroll",
    "Enroll contacts in the latest version of a workflow (re-entry policy applies)",
    403,
    404,
)
def enroll(access: AccessDep, key: Key, body: EnrollIn) -> EnrollOut:
    chosen = None if body.all else body.contact_ids
    out = wf.enroll(access.runtime, access.principal, key, chosen, access.now())
    return EnrollOut(created=out.created, skipped=out.skipped, run_ids=out.run_ids)


@routed(router.get, "/{key}/versions", "List every published version of a workflow", 404)
def list_versions(access: AccessDep, key: Key) -> VersionList:
    return version_list(key, wf.versions(access.runtime.store, access.scope.tenant_id, key))


@routed(router.get, "/{key}/versions/{version}", "Show one published version of a workflow", 404)
def get_version(access: AccessDep, key: Key, version: Version) -> WorkflowDetail:
    return get_published(access.runtime.store, access.scope.tenant_id, key, version)


@routed(
    router.get,
    "/{key}/diff",
    "What changed between two versions (structured, and a unified YAML diff)",
    404,
)
def diff(
    access: AccessDep,
    key: Key,
    from_: Annotated[int, Query(alias="from", gt=0, le=MAX_INT, description="Old version.")],
    to: Annotated[int, Query(gt=0, le=MAX_INT, description="New version.")],
) -> DiffOut:
    found = wf.diff(access.runtime.store, access.scope.tenant_id, key, from_, to)
    return diff_out(key, from_, to, found)


@routed(
    router.post,
    "/{key}/migrate",
    "Move open runs to another version (a dry run counts who would move where)",
    403,
    404,
)
def migrate(access: AccessDep, key: Key, body: MigrateIn) -> MigrateOut:
    plan, result = wf.migrate(
        access.runtime,
        access.principal,
        key,
        body.to_version,
        body.mapping,
        from_version=body.from_version,
        dry_run=body.dry_run,
        skip_unmapped=body.skip_unmapped,
    )
    return migrate_out(plan, result)


@routed(
    router.get,
    "/{key}/counts",
    "Per-node counts (entered, sent, ... current) over the leads the key may see",
    404,
)
def node_counts(access: AccessDep, key: Key) -> NodeCounts:
    return node_counts_out(key, wf.node_counts(access.runtime.store, access.scope, key))


@routed(
    router.get,
    "/{key}/runs-summary",
    "How many runs are in each status, over the leads the key may see",
    404,
)
def runs_summary(access: AccessDep, key: Key) -> RunsSummary:
    found = wf.runs_by_status(access.runtime.store, access.scope, key)
    return RunsSummary(key=key, by_status=found, total=sum(found.values()))
