"""Request and response bodies of ``/api/v1/automation`` (AI drafting)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.api.data.shape import Record


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkflowOptions(_In):
    key: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Key of the draft (default: made from the request, never overwriting).",
    )
    save: bool = Field(default=False, description="Save the result as a workflow draft.")
    samples: Literal[1, 3] = Field(
        default=1, description="3: draft three times with the model and measure agreement."
    )
    simulate: bool = Field(default=True, description="Run the draft over synthetic leads.")
    leads: int = Field(default=50, ge=1, le=500, description="Synthetic leads simulated.")
    days: float = Field(default=14, ge=1, le=60, description="Virtual days simulated.")


class WorkflowRequest(_In):
    prompt: str = Field(min_length=1, max_length=4000, description="The request in plain words.")
    options: WorkflowOptions = Field(default_factory=WorkflowOptions)


class WorkflowDraftOut(BaseModel):
    """The draft (``workflow`` as JSON, ``yaml``), or ``workflow: null`` and the reasons in
    ``validation.errors``. ``published`` is always false: publishing is a person's step."""

    prompt: str
    source: str | None = Field(description="model, repaired or planner (null: refused).")
    model: str | None
    rounds: int
    usage: dict[str, int]
    workflow: dict[str, Any] | None
    yaml: str | None
    validation: dict[str, Any]
    simulation: dict[str, Any] | None
    confidence: dict[str, Any] | None
    explanations: list[dict[str, str]]
    warnings: list[str]
    saved: dict[str, Any] | None
    published: bool


class AiCallOut(Record):
    id: str
    at: float
    purpose: str
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cache_hit: bool
    outcome: str
    mode: str


class AiCallList(BaseModel):
    items: list[AiCallOut]
    tokens_used_this_month: int
    monthly_token_budget: int | None


Channel = Literal["sms", "email", "voice"]


def _default_channels() -> list[Channel]:
    return ["sms", "email"]


class CampaignRequest(_In):
    goal: str = Field(min_length=1, max_length=500, description="e.g. book more appointments.")
    audience: str = Field(
        default="", max_length=2000, description="In words: 'hot leads in Texas and past clients'."
    )
    channels: list[Channel] = Field(default_factory=_default_channels, max_length=3)
    start: date | None = Field(default=None, description="First day (enrolment day).")
    end: date | None = Field(default=None, description="Last day.")
    budget: int | None = Field(default=None, ge=0, description="Messages at most.")
    save: bool = Field(default=False, description="Save each segment's workflow as a draft.")
    simulate: bool = Field(default=True, description="Predict from a simulation of each draft.")
    clusters: bool | int = Field(
        default=False,
        description="k-means clusters of each segment's contacts, described in words, each "
        "with a rule (a condition over contact fields, its precision and recall) and, when it "
        "has one, a segment, channel plan and draft of its own: true (k chosen by silhouette), "
        "false, or k (2..6).",
    )
