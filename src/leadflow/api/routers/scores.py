"""``/api/v1/contacts/{id}/score``: a lead's transparent score, computed now, with its factors."""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.access.scores import score
from leadflow.api.data.scores import ScoreOut
from leadflow.api.deps import AccessDep
from leadflow.api.params import ContactId
from leadflow.api.routes import routed

router = APIRouter(prefix="/contacts", tags=["scores"])


@routed(
    router.get,
    "/{contact_id}/score",
    "A lead's score (0-100), band and the factors it is made of",
    404,
)
def get_score(access: AccessDep, contact_id: ContactId) -> ScoreOut:
    contact, found, config = score(access.runtime.store, access.scope, contact_id, access.now())
    return ScoreOut.of(contact.id, found, config)
