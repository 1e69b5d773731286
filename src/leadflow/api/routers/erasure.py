"""``DELETE /api/v1/contacts/{id}``: the right to erasure (admin, or manager for its team's
leads); ``GET /api/v1/erasures``: the tenant's erasure audit (admin). The audit names no one:
a SHA-256 digest of the contact id, who asked, when, and the rows changed per table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from leadflow.access import erasure as service
from leadflow.api.data.shape import IsoText, Record
from leadflow.api.deps import AccessDep
from leadflow.api.params import ContactId
from leadflow.api.routes import routed
from leadflow.model.erasure import Erasure

router = APIRouter(tags=["contacts"])


class ErasureOut(Record):
    id: int
    contact_sha256: str = Field(description="SHA-256 hex digest of the erased contact's id.")
    erased_by: str = Field(description="The API key (key:<id>) or the CLI operator.")
    erased_at: IsoText = Field(description="ISO 8601, UTC.")
    counts: dict[str, int] = Field(description="Rows deleted or blanked, per table.")


def _out(e: Erasure) -> ErasureOut:
    return ErasureOut.of(e, contact_sha256=e.contact_digest)


@routed(
    router.delete,
    "/contacts/{contact_id}",
    "Erase a contact (right to erasure): runs cancelled, personal data removed, audited",
    403,
    404,
)
def erase_contact(access: AccessDep, contact_id: ContactId) -> ErasureOut:
    done = service.erase(
        access.runtime.store, access.principal, access.scope, contact_id, access.now()
    )
    return _out(done)


@routed(router.get, "/erasures", "The tenant's erasure audit, newest first", 403)
def list_erasures(
    access: AccessDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[ErasureOut]:
    return [_out(e) for e in service.audit(access.runtime.store, access.principal, limit)]
