"""Request body of ``POST /api/v1/automation/orchestrate`` (a batch of AI tasks). The shape is
checked here; each kind's input, the ids and the dependency graph by
``leadflow.ai.orchestration.spec``, which names the task in every refusal."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, description="Unique within the batch.")
    kind: Literal["compose", "classify", "summarise", "draft_workflow", "draft_campaign"]
    input: dict[str, Any] = Field(
        description="compose: {brief, contact_ids, channel}; classify: {texts}; summarise: "
        "{contact_id}; draft_workflow: {prompt, key}; draft_campaign: {goal, audience, channels}."
    )
    priority: int = Field(default=0, ge=-100, le=100, description="Higher runs first.")
    depends_on: list[str] = Field(
        default_factory=list, max_length=20, description="Ids of tasks of this batch."
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="", max_length=200)
    tasks: list[TaskIn] = Field(min_length=1, max_length=1000)

    def plain(self) -> dict[str, Any]:
        return {"label": self.label, "tasks": [t.model_dump() for t in self.tasks]}
