"""``/api/v1/schema``: the names a workflow is written with, for the designer's pickers. ``GET
/events``: the canonical event vocabulary (``model/vocabulary.py``, docs/events.md) with its
aliases; ``GET /contact``: the contact fields a condition or template names (``contact.<f>``),
the roots of a condition's field path and its operators. Any key of the tenant may read them;
a tenant's own event types (``quote.requested``) are allowed anywhere as free text."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter
from pydantic import BaseModel, Field

from leadflow.api.deps import AccessDep
from leadflow.definitions.conditions_model import FIELD_ROOTS, Op
from leadflow.model.records import Contact
from leadflow.model.vocabulary import ALIASES, KINDS

router = APIRouter(prefix="/schema", tags=["schema"])


class EventTypeOut(BaseModel):
    name: str
    data: str = Field(description="The data fields it carries.")
    emitted_by: str
    meaning: str


class EventVocabulary(BaseModel):
    items: list[EventTypeOut]
    aliases: dict[str, str] = Field(description="Other names, mapped to the vocabulary's.")


class ContactSchema(BaseModel):
    fields: list[str] = Field(description="contact.<field> names, custom ones under fields.")
    roots: list[str] = Field(description="What a condition's field path starts with.")
    ops: list[str] = Field(description="A condition's operators.")


@router.get("/events", summary="The canonical event types (triggers, waits, goals)")
def event_types(access: AccessDep) -> EventVocabulary:
    items = [
        EventTypeOut(name=k.name, data=k.data, emitted_by=k.emitted_by, meaning=k.meaning)
        for k in KINDS
    ]
    return EventVocabulary(items=items, aliases=dict(ALIASES))


@router.get("/contact", summary="The contact fields, field roots and operators of a condition")
def contact_schema(access: AccessDep) -> ContactSchema:
    names = sorted(Contact(id="").as_dict())
    return ContactSchema(fields=names, roots=list(FIELD_ROOTS), ops=list(get_args(Op)))
