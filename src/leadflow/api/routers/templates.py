"""``/api/v1/templates``: the shipped playbooks (list, show) and installing one into the
caller's tenant as a draft or published (admin or manager keys). A bad, missing or unknown
parameter is a 422 naming it; nothing is written then."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from leadflow.access import templates as service
from leadflow.api.deps import AccessDep
from leadflow.api.routes import create_route, routed

router = APIRouter(prefix="/templates", tags=["templates"])
Name = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class ParameterOut(BaseModel):
    name: str
    type: str
    default: Any
    required: bool
    description: str
    min: float | None
    max: float | None
    choices: list[str] | None
    allowed: str | None = Field(description="The allowed range in words.")


class TemplateOut(BaseModel):
    name: str
    title: str
    summary: str
    audience: str
    key: str | None = Field(description="The workflow key an install uses.")
    parameters: list[ParameterOut]
    days: list[str]


class TemplateList(BaseModel):
    items: list[TemplateOut]


class InstallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parameters: dict[str, Any] = Field(default_factory=dict, description="Name -> value.")
    publish: bool = Field(default=False, description="Publish at once (else save a draft).")


class InstallOut(BaseModel):
    template: str
    key: str
    status: Literal["draft", "published"]
    version: int | None
    warnings: list[str]
    definition: dict[str, Any]


@router.get("", summary="List the playbook templates")
def list_templates(access: AccessDep) -> TemplateList:
    return TemplateList(items=[TemplateOut(**t.as_dict()) for t in service.listed()])


@routed(router.get, "/{name}", "Show one template", 404)
def show_template(access: AccessDep, name: Name) -> TemplateOut:
    return TemplateOut(**service.shown(name).as_dict())


@create_route(
    router,
    "/{name}/install",
    "Install a template into the tenant, as a draft or published",
    403,
    404,
)
def install_template(access: AccessDep, name: Name, body: InstallIn) -> InstallOut:
    done = service.install(
        access.runtime, access.principal, name, body.parameters, access.now(), publish=body.publish
    )
    return InstallOut(
        template=done.template,
        key=done.key,
        status="published" if done.status == "published" else "draft",
        version=done.version.version if done.version else None,
        warnings=done.warnings or [],
        definition=done.definition,
    )
