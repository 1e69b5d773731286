"""Drafts, validation and publishing as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadflow.access.workflows import Check
from leadflow.api.data.workflows import Point, points, when
from leadflow.definitions.validation import split_problem
from leadflow.model.records import Draft, WorkflowVersion


class DefinitionProblem(BaseModel):
    path: str = Field(description="Where in the definition: `nodes[2](wait).timeout`; '' = all.")
    field: str = Field(
        description="The same place named as every other error names it: `body.` and the path "
        "(`body` for the whole definition), as in the `errors` of a 400/422 problem."
    )
    problem: str


class ValidationOut(BaseModel):
    ok: bool = Field(description="True when the definition has no errors (warnings allowed).")
    errors: list[DefinitionProblem]
    warnings: list[DefinitionProblem]


class LayoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nodes: dict[str, Point] = Field(
        description="Where each node sits on the designer's canvas, by node id."
    )


class DraftOut(BaseModel):
    key: str
    definition: dict[str, Any] = Field(description="The draft as saved (it may be invalid).")
    updated_at: datetime
    updated_by: str | None = Field(description="The id of the API key that saved it last.")
    validation: ValidationOut
    layout: dict[str, Point] | None = Field(
        default=None,
        description="Where the designer placed the nodes (not part of the definition); null "
        "until placed.",
    )


class DraftSummary(BaseModel):
    key: str
    name: str | None = Field(description="The draft's name, when it has a text one.")
    updated_at: datetime
    updated_by: str | None


class DraftList(BaseModel):
    items: list[DraftSummary]


class Published(BaseModel):
    key: str
    version: int
    name: str
    published_at: datetime
    created: bool = Field(description="False when the latest version already said the same.")


def _problems(messages: list[str]) -> list[DefinitionProblem]:
    return [
        DefinitionProblem(path=p, field=f"body.{p}" if p else "body", problem=t)
        for p, t in map(split_problem, messages)
    ]


def validation_out(found: Check) -> ValidationOut:
    return ValidationOut(
        ok=found.ok, errors=_problems(found.errors), warnings=_problems(found.warnings)
    )


def draft_out(draft: Draft, found: Check) -> DraftOut:
    return DraftOut(
        key=draft.key,
        definition=draft.definition,
        updated_at=when(draft.updated_at),
        updated_by=draft.updated_by,
        validation=validation_out(found),
        layout=points(draft.layout),
    )


def draft_list(drafts: list[Draft]) -> DraftList:
    items = []
    for d in drafts:
        name = d.definition.get("name")
        items.append(
            DraftSummary(
                key=d.key,
                name=name if isinstance(name, str) else None,
                updated_at=when(d.updated_at),
                updated_by=d.updated_by,
            )
        )
    return DraftList(items=items)


def published_out(wf: WorkflowVersion, created: bool) -> Published:
    return Published(
        key=wf.key,
        version=wf.version,
        name=wf.name,
        published_at=when(wf.published_at),
        created=created,
    )
