"""The shape of a lead's summary as the API shows it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from leadflow.ai.summary import LeadSummary


class SummaryOut(BaseModel):
    contact_id: str
    source: str = Field(description="model (written by the configured model) or extractive.")
    text: str = Field(description="What to know before calling the lead.")
    facts: dict[str, Any] = Field(
        description="What the text rests on: lead, score (with its top factors), criteria, "
        "listings (matched), last_reply (with its intent when known) and interactions "
        "(newest first)."
    )
    reasons: list[str] = Field(
        description="Why the model's text was not used (empty when it was, or no model)."
    )

    @classmethod
    def of(cls, summary: LeadSummary) -> SummaryOut:
        return cls(**summary.as_dict())
