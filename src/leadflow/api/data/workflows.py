"""Published workflows as the API shows them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadflow.access.workflows import published, version_of, workflow_layout
from leadflow.model.records import WorkflowVersion
from leadflow.store.contract import Store


class WorkflowSummary(BaseModel):
    key: str = Field(description="The workflow's key (stable across versions).")
    name: str
    version: int = Field(description="The latest published version (1, 2, ...).")
    published_at: datetime = Field(description="When this version was published (UTC).")


class WorkflowList(BaseModel):
    items: list[WorkflowSummary]


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    x: float = Field(description="Canvas x of the node's top left corner.")
    y: float = Field(description="Canvas y of the node's top left corner.")


def points(layout: dict[str, dict[str, float]] | None) -> dict[str, Point] | None:
    return None if layout is None else {k: Point.model_validate(v) for k, v in layout.items()}


class WorkflowDetail(WorkflowSummary):
    version: int = Field(description="The version shown (the latest unless one was asked for).")
    definition: dict[str, Any] = Field(description="The definition as published (JSON).")
    layout: dict[str, Point] | None = Field(
        default=None,
        description="Where the designer placed the workflow's nodes, by node id (kept when its "
        "draft is published, or saved with PUT .../layout); null when never placed.",
    )


def when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0)


def _summary(wf: WorkflowVersion) -> WorkflowSummary:
    return WorkflowSummary(
        key=wf.key, name=wf.name, version=wf.version, published_at=when(wf.published_at)
    )


def list_published(store: Store, tenant_id: str) -> WorkflowList:
    """The latest version of every workflow the tenant published, by key."""
    return WorkflowList(items=[_summary(wf) for wf in published(store, tenant_id)])


def get_published(
    store: Store, tenant_id: str, key: str, version: int | None = None
) -> WorkflowDetail:
    """One version (the latest when ``version`` is None) of a workflow of the tenant;
    NotFound names what is missing (another tenant's workflow is missing too)."""
    wf = version_of(store, tenant_id, key, version)
    return WorkflowDetail(
        key=wf.key,
        name=wf.name,
        version=wf.version,
        published_at=when(wf.published_at),
        definition=wf.definition,
        layout=points(workflow_layout(store, tenant_id, key)),
    )


class VersionSummary(BaseModel):
    version: int
    name: str
    published_at: datetime = Field(description="When this version was published (UTC).")


class VersionList(BaseModel):
    key: str
    items: list[VersionSummary] = Field(description="Every version, oldest first.")


def version_list(key: str, found: list[WorkflowVersion]) -> VersionList:
    return VersionList(
        key=key,
        items=[
            VersionSummary(version=wf.version, name=wf.name, published_at=when(wf.published_at))
            for wf in found
        ],
    )
