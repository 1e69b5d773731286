"""``/api/v1/contacts``: leads in the caller's scope (an agent's own, a manager's team's, an
admin's whole tenant)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from leadflow.access import consent as access_consent
from leadflow.access import contacts as access_contacts
from leadflow.access.scope import visible_contact
from leadflow.addresses import phone_query
from leadflow.api.data.consent import ConsentIn, ConsentOut
from leadflow.api.data.contacts import (
    ContactFields,
    ContactOut,
    ContactPage,
    ContactSaved,
    ImportResult,
    ImportRow,
    MergeRequest,
    MergeResult,
)
from leadflow.api.deps import AccessDep
from leadflow.api.input_guard import media_type
from leadflow.api.params import ContactId
from leadflow.api.problems import problem_responses
from leadflow.api.routes import create_route, routed
from leadflow.contacts.importer import CSV_EXAMPLE, columns_description, decode_csv
from leadflow.errors import InvalidInput
from leadflow.model.records import ContactFilter
from leadflow.safe_input import text_problem

router = APIRouter(prefix="/contacts", tags=["contacts"])
MAX_IMPORT_BYTES = 10_000_000


@router.get("", summary="List contacts (filters, keyset paging)")
def list_contacts(
    access: AccessDep,
    q: Annotated[str | None, Query(max_length=200, description="Name, e-mail or phone.")] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    stage: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=200)] = None,
    updated_since: Annotated[datetime | None, Query()] = None,
    after: Annotated[str | None, Query(max_length=200, description="`next` of a page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ContactPage:
    flt = ContactFilter(
        q=q,
        email=email.lower() if email else None,
        phone=phone_query(phone),
        owner=owner,
        stage=stage,
        tag=tag,
        updated_since=updated_since.timestamp() if updated_since else None,
        after_id=after,
        limit=limit,
    )
    found, following = access_contacts.page(access.runtime.store, access.scope, flt)
    return ContactPage(items=[ContactOut.of(c) for c in found], next=following)


@create_route(
    router,
    "",
    "Create a lead (merged into an existing contact with the same e-mail or phone); "
    "with `emit`, also record an event for it (create-and-trigger)",
    403,
)
def create_contact(
    access: AccessDep,
    body: ContactFields,
    response: Response,
    emit: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Also record this event for the lead (e.g. `lead.created`), once per "
            "contact: a retried or merged request records nothing new.",
        ),
    ] = None,
) -> ContactSaved:
    values = body.model_dump(exclude_unset=True)
    store, now = access.runtime.store, access.now()
    if emit is not None:
        emit = access_contacts.event_name(emit)  # refused before the lead is saved
    contact, merged = access_contacts.create(store, access.principal, access.scope, values, now)
    if merged:
        response.status_code = 200
    saved = ContactSaved(**ContactOut.of(contact).model_dump(), merged=merged)
    if emit is not None:
        saved.event_id, saved.event_duplicate = access_contacts.announce(
            store, access.scope, contact, emit, now
        )
    return saved


@routed(router.get, "/{contact_id}", "Show a contact", 404)
def get_contact(access: AccessDep, contact_id: ContactId) -> ContactOut:
    return ContactOut.of(visible_contact(access.runtime.store, access.scope, contact_id))


@routed(router.patch, "/{contact_id}", "Change a contact's attributes (only those sent)", 403, 404)
def update_contact(access: AccessDep, contact_id: ContactId, body: ContactFields) -> ContactOut:
    values = body.model_dump(exclude_unset=True)
    contact = access_contacts.update(
        access.runtime.store, access.principal, access.scope, contact_id, values, access.now()
    )
    return ContactOut.of(contact)


@routed(
    router.get,
    "/{contact_id}/consent",
    "A contact's consent per channel, with its full history",
    404,
)
def get_consent(access: AccessDep, contact_id: ContactId) -> ConsentOut:
    return ConsentOut.of(access_consent.show(access.runtime.store, access.scope, contact_id))


@routed(
    router.post,
    "/{contact_id}/consent",
    "Record consent given or withdrawn (web form, agent, import), kept in the history",
    404,
)
def record_consent(access: AccessDep, contact_id: ContactId, body: ConsentIn) -> ConsentOut:
    at = body.at.timestamp() if body.at is not None else None
    change = access_consent.ConsentChange(**body.model_dump(exclude={"at"}), at=at)
    found = access_consent.record(
        access.runtime.store, access.principal, access.scope, contact_id, change, access.now()
    )
    return ConsentOut.of(found)


@routed(
    router.post,
    "/{contact_id}/merge",
    "Merge duplicates into this contact (their live runs are cancelled)",
    403,
    404,
)
def merge_contacts(access: AccessDep, contact_id: ContactId, body: MergeRequest) -> MergeResult:
    contact, merged, cancelled = access_contacts.merge(
        access.runtime.store,
        access.principal,
        access.scope,
        contact_id,
        body.duplicate_ids,
        access.now(),
    )
    return MergeResult(contact=ContactOut.of(contact), merged_ids=merged, cancelled_runs=cancelled)


async def csv_body(request: Request) -> str:
    """The CSV text of an import: the body itself, or the part ``file`` of a form upload."""
    if media_type(request.headers.get("content-type") or "text/csv") == ("multipart", "form-data"):
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if upload is None:
                raise InvalidInput(
                    "body.file: the form has no part named file (the CSV)",
                    [("body.file", "missing")],
                )
            raw = await upload.read() if isinstance(upload, UploadFile) else upload.encode()
    else:
        raw = await request.body()
    text = decode_csv(raw)
    reason = text_problem(text)  # the input guard reads a text body, not a form's parts
    if reason:
        raise InvalidInput(f"body.file: {reason}", [("body.file", reason)])
    return text


CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": columns_description(),
        "content": {
            "text/csv": {
                "schema": {"type": "string", "description": columns_description()},
                "example": CSV_EXAMPLE,
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The CSV file. " + columns_description(),
                        }
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/import",
    summary="Import a CSV with RESO Contact columns (all or nothing unless skip_invalid)",
    description="The CSV as the body (`Content-Type: text/csv`) or uploaded as the part `file` "
    "of a `multipart/form-data` form; UTF-8 (a BOM allowed) or UTF-16 with a BOM.",
    responses=problem_responses(403, 413),
    openapi_extra=CSV_BODY,
)
async def import_contacts(
    access: AccessDep,
    csv_text: Annotated[str, Depends(csv_body)],
    skip_invalid: Annotated[bool, Query()] = False,
    allow_custom_columns: Annotated[
        bool,
        Query(
            description="Keep a column that looks like a known field but is none (Phone 2) "
            "as a custom field instead of refusing the file."
        ),
    ] = False,
) -> ImportResult:
    if not csv_text.strip():
        raise InvalidInput("body: the CSV is empty")
    inserted, merged, rejected, columns = await run_in_threadpool(
        access_contacts.import_csv,
        access.runtime.store,
        access.principal,
        access.scope,
        csv_text,
        access.now(),
        skip_invalid,
        allow_custom_columns,
    )
    rows = [ImportRow(line=line, reason=reason) for line, reason in rejected]
    if rejected and not skip_invalid:
        detail = "; ".join(f"line {r.line}: {r.reason}" for r in rows[:20])
        raise InvalidInput(
            f"{len(rows)} row(s) rejected, nothing imported: {detail}",
            [(f"line {r.line}", r.reason) for r in rows],
        )
    return ImportResult(inserted=inserted, merged=merged, rejected=rows, columns=columns)
