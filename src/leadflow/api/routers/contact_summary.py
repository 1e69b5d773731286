"""``/api/v1/contacts/{id}/summary``: what to know about a lead before calling it."""

from __future__ import annotations

from fastapi import APIRouter

from leadflow.access.contact_summary import lead_summary
from leadflow.api.data.contact_summary import SummaryOut
from leadflow.api.deps import AccessDep
from leadflow.api.params import ContactId
from leadflow.api.routes import routed

router = APIRouter(prefix="/contacts", tags=["contacts"])


@routed(
    router.get,
    "/{contact_id}/summary",
    "What to know before calling a lead: score factors, criteria, listings, last reply",
    404,
)
def get_summary(access: AccessDep, contact_id: ContactId) -> SummaryOut:
    found = lead_summary(access.runtime, access.scope, contact_id, access.now())
    return SummaryOut.of(found)
