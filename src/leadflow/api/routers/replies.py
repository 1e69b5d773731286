"""``/api/v1/replies/classify``: the intent of reply texts, as inbound replies get it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from leadflow.access import replies as service
from leadflow.api.deps import AccessDep
from leadflow.model.replies import IntentName

router = APIRouter(prefix="/replies", tags=["replies"])


class ClassifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: list[str] = Field(
        description=f"The replies to read: 1 to {service.MAX_TEXTS}, each at most "
        f"{service.MAX_CHARS} characters and not only white space.",
        examples=[["what's the HOA on that one?", "not now, maybe in the spring"]],
    )


class ReadingOut(BaseModel):
    text: str
    intent: IntentName
    confidence: float = Field(ge=0, le=1)
    source: Literal["rules", "llm", "model"] = Field(
        description="rules: the opt-out rules; llm: the model server; model: the local model."
    )


class ClassifyOut(BaseModel):
    items: list[ReadingOut]


@router.post("/classify", response_model=ClassifyOut)
def classify(body: ClassifyIn, access: AccessDep) -> ClassifyOut:
    """One reading per text, in order."""
    found = service.classify(access.runtime, access.principal, body.texts)
    return ClassifyOut(items=[ReadingOut(**r.as_dict()) for r in found])
