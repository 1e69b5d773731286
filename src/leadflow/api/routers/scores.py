"""``/api/v1/contacts/{id}/score``: a lead's transparent score, computed now, with its factors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from leadflow.access.scope import visible_contact
from leadflow.api.data.scores import ScoreOut
from leadflow.api.deps import AccessDep
from leadflow.api.problems import problem_responses
from leadflow.scoring.config import load_config
from leadflow.scoring.recompute import score_contact

router = APIRouter(prefix="/contacts", tags=["scores"])
ContactId = Annotated[str, Path(min_length=1, max_length=200, description="The contact's id.")]


@router.get(
    "/{contact_id}/score",
    summary="A lead's score (0-100), band and the factors it is made of",
    responses=problem_responses(404),
)
def get_score(access: AccessDep, contact_id: ContactId) -> ScoreOut:
    store = access.runtime.store
    contact = visible_contact(store, access.scope, contact_id)
    config = load_config(store, contact.tenant_id)
    return ScoreOut.of(contact.id, score_contact(store, contact, access.now(), config), config)
