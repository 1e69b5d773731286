"""Every error the API returns is an RFC 9457 ``application/problem+json`` document, made here.

Members: ``type`` (a URI naming the kind of problem; ``about:blank`` when the HTTP status says it
all), ``title`` (short, the same for every problem of that type), ``status``, ``detail`` (this
occurrence, for a human), ``instance`` (the request path, without its query string), plus the
extensions ``request_id`` (the ``X-Request-ID`` of the response, to find the log lines) and, for
validation problems, ``errors``: a list of ``{"field": "body.contact.phone", "problem": ...}``.

How exceptions map (:func:`install` registers them; :func:`unexpected` is the catch-all the
request middleware calls):

=====================================  ======  ===================================================
exception                              status  detail
=====================================  ======  ===================================================
``RequestValidationError``             422     names each field (``query.version``, ``body.x``)
``leadflow.errors.InvalidInput``       422     its message (``WorkflowInvalid``: a field each)
``leadflow.errors.NotFound``           404     its message
``leadflow.errors.Conflict``           409     its message (a key taken, a state forbidding it)
``leadflow.errors.RateLimited``        429     its message, with ``Retry-After``
``leadflow.errors.SchemaOutOfDate``    503     its message (names ``leadflow db upgrade``)
``leadflow.errors.StoreError``         500     generic; the message is logged, never returned
other ``LeadflowError``                500     generic; logged
``HTTPException`` (404, 405, 413 ...)  its     its detail (unknown route, wrong method ...)
anything else                          500     generic; logged with the request id
=====================================  ======  ===================================================

Invalid input is 422 rather than 400 so that a request that parsed but says something
impossible gets the same status whether FastAPI or leadflow noticed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from leadflow.api.logsafe import redact_path
from leadflow.definitions.validation import split_problem
from leadflow.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LeadflowError,
    NotAuthenticated,
    NotFound,
    RateLimited,
    SchemaOutOfDate,
    StoreError,
    WorkflowInvalid,
)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:leadflow:problem:"
GENERIC_500 = "The server could not complete the request; the request id finds it in the log."

log = logging.getLogger("leadflow.api")


class FieldProblem(BaseModel):
    field: str = Field(description="Where: `body.contact.phone`, `query.version`, `path.key`.")
    problem: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(default="about:blank", description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = Field(default=None, description="The response's X-Request-ID.")
    errors: list[FieldProblem] | None = Field(
        default=None, description="Validation problems, one per field."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries saying these statuses come back as problem+json."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def request_id_of(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


def problem(
    status: int,
    detail: str | None,
    *,
    instance: str | None,
    request_id: str | None,
    kind: str | None = None,
    title: str | None = None,
    errors: Sequence[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The one constructor of an error response."""
    body = Problem(
        type=TYPE_PREFIX + kind if kind else "about:blank",
        title=title or _phrase(status),
        status=status,
        detail=detail,
        instance=instance,
        request_id=request_id,
        errors=list(errors) if errors is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _for(request: Request, status: int, detail: str | None, **kw: Any) -> JSONResponse:
    return problem(
        status, detail, instance=request.url.path, request_id=request_id_of(request), **kw
    )


def field_path(loc: Iterable[int | str]) -> str:
    """``("body", "contact", "phone")`` -> ``body.contact.phone``; list items as ``items[2]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validation_errors(raw: Iterable[Any]) -> list[FieldProblem]:
    """FastAPI / pydantic error dicts as field problems (the input value is never echoed: it
    may be a secret)."""
    found = []
    for err in raw:
        loc = err.get("loc", ()) if isinstance(err, dict) else ()
        msg = err.get("msg", "is not valid") if isinstance(err, dict) else str(err)
        found.append(FieldProblem(field=field_path(loc) or "request", problem=str(msg)))
    return found


async def _malformed_json(request: Request, err: dict[str, Any]) -> JSONResponse:
    """400: the body is not JSON at all, named by line and column (not ``body[24]``)."""
    loc = err.get("loc") or ()
    at = loc[-1] if loc and isinstance(loc[-1], int) else 0
    text = (await request.body()).decode("utf-8", "replace")
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    why = (err.get("ctx") or {}).get("error") or "not JSON"
    problem_text = f"is not valid JSON at line {line} column {column} ({why})"
    return _for(
        request,
        400,
        f"the body {problem_text}",
        kind="malformed",
        title="Malformed request body",
        errors=[FieldProblem(field="body", problem=problem_text)],
    )


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    for err in exc.errors():
        if isinstance(err, dict) and err.get("type") == "json_invalid":
            return await _malformed_json(request, err)
    errors = validation_errors(exc.errors())
    names = ", ".join(e.field for e in errors)
    return _for(
        request,
        422,
        f"the request is not valid: {names}",
        kind="validation",
        title="Invalid request",
        errors=errors,
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers) if exc.headers else None
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        allow = {k.lower(): v for k, v in (headers or {}).items()}.get("allow")
        allowed = f"; allowed: {allow}" if allow else ""
        detail = f"{request.method} is not allowed on {request.url.path}{allowed}"
    return _for(request, exc.status_code, detail, headers=headers)


def _definition_problem(source: str, message: str) -> FieldProblem:
    """A workflow validation error as a field problem: ``body.nodes[0](hi).kind``."""
    path, text = split_problem(message)
    return FieldProblem(field=f"{source}.{path}" if path else source, problem=text)


async def _leadflow(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LeadflowError)
    if isinstance(exc, NotFound):
        return _for(request, 404, exc.message, kind="not-found")
    if isinstance(exc, NotAuthenticated):
        challenge = {"WWW-Authenticate": 'Bearer realm="leadflow"'}
        return _for(request, 401, exc.message, kind="unauthenticated", headers=challenge)
    if isinstance(exc, Forbidden):
        return _for(request, 403, exc.message, kind="forbidden")
    if isinstance(exc, Conflict):
        return _for(request, 409, exc.message, kind="conflict")
    if isinstance(exc, RateLimited):
        wait = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        return _for(request, 429, exc.message, kind="rate-limited", headers=wait)
    if isinstance(exc, WorkflowInvalid):
        errors = [_definition_problem(exc.source, e) for e in exc.errors]
        return _for(
            request,
            422,
            "the workflow definition is not valid",
            kind="workflow-invalid",
            title="Invalid workflow",
            errors=errors,
        )
    if isinstance(exc, InvalidInput):
        found = exc.problems or [split_problem(exc.message)]
        errors = [FieldProblem(field=where or "request", problem=what) for where, what in found]
        return _for(
            request, 422, exc.message, kind="invalid-input", title="Invalid input", errors=errors
        )
    if isinstance(exc, SchemaOutOfDate):
        return _for(
            request, 503, exc.message, kind="schema-out-of-date", title="Database not ready"
        )
    kind = "store" if isinstance(exc, StoreError) else "internal"
    log.error(
        "request %s %s failed: %s: %s",
        request_id_of(request),
        request.url.path,
        type(exc).__name__,
        exc.message,
    )
    return _for(request, 500, GENERIC_500, kind=kind)


def unexpected(exc: BaseException, *, path: str, request_id: str) -> JSONResponse:
    """The response for an exception nothing else handled (logged with its traceback)."""
    log.error("request %s %s failed", request_id, redact_path(path), exc_info=exc)
    return problem(500, GENERIC_500, instance=path, request_id=request_id, kind="internal")


def install(app: FastAPI) -> None:
    """Map the exceptions above on ``app`` (the catch-all lives in the request middleware)."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(LeadflowError, _leadflow)
