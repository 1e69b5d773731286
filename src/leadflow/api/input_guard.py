"""The input guard: every request's text is checked once, at the edge, before any route sees it.

A pure ASGI middleware (inside the body limit) that refuses, with one 422 problem naming each
field (``body.events[3].data.note: contains a lone surrogate``, ``query.q: contains a NUL
character``, ``path.contact_id: ...``), what no store or response could hold
(:mod:`leadflow.safe_input`):

* the query string: names and values, as the routes will read them;
* the path, named by the parameter of the route template it falls in;
* a JSON body (``application/json``, ``*+json``, or no content type, as FastAPI reads it):
  every string and key (lone surrogates, NUL), every number (NaN and infinities), at any
  depth -- so one bad event in a batch refuses the whole batch (all or nothing) with the
  index of the event in the field path;
* a form body (the provider webhooks) and a text body (lead e-mails): NUL characters.

A body that is not valid JSON (or UTF-8) is passed on untouched: the route answers that in its
own words. The body is read once here and handed on to the app as it came.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from email.message import Message as MimeHeader
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.api.problems import FieldProblem, problem
from leadflow.safe_input import printable, text_problem, value_problems

MAX_PROBLEMS = 20
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_PARAM = re.compile(r"^\{([^}:]+)(?::[^}]*)?\}$")
# What a JSON body must contain for a value in it to be refused: a lone surrogate or a NUL
# only come from a \u escape, from the UTF-8 form of a surrogate (ED A0-BF: the JSON decoder
# takes bytes with "surrogatepass"), or from UTF-16/32 text (which has NUL bytes), a non-finite
# number from NaN, Infinity, a three-digit exponent or a run of 200+ digits (a 2-digit exponent
# needs 210 to overflow). A body with none
# of these (nearly all of them) is not decoded here at all.
_MAYBE_BAD_JSON = re.compile(rb"\\u|\x00|\xed[\xa0-\xbf]|NaN|Infinity|\d[eE][+-]?\d{3}|\d{200}")

Templates = Callable[[], list[str]]


class InputGuardMiddleware:
    """Refuses requests carrying text or numbers no store can hold (see the module doc)."""

    def __init__(self, app: ASGIApp, templates: Templates) -> None:
        self.app = app
        self.templates = templates  # the app's path templates, read when a path is bad

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self._path(scope) + _query(scope.get("query_string", b""))
        body: bytes | None = None
        if scope["method"] not in _BODYLESS:
            try:
                body, disconnected = await read_body(receive)
            except HTTPException as exc:  # the body limit (413)
                headers = dict(exc.headers) if exc.headers else None
                await send_problem(
                    scope, receive, send, exc.status_code, str(exc.detail), headers=headers
                )
                return
            if disconnected:
                return
            found += _body(Headers(scope=scope).get("content-type"), body)
        if found:
            await _refuse(scope, receive, send, found[:MAX_PROBLEMS])
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, replay(body, receive), send)

    def _path(self, scope: Scope) -> list[FieldProblem]:
        path = str(scope.get("path", ""))
        if not path or (path.isascii() and "\x00" not in path):
            return []
        segments = path.split("/")
        names = _param_names(segments, self.templates())
        found = []
        for i, segment in enumerate(segments):
            reason = text_problem(segment)
            if reason:
                found.append(FieldProblem(field=names.get(i, "path"), problem=reason))
        return found


def _param_names(segments: list[str], templates: list[str]) -> dict[int, str]:
    """Segment index -> ``path.<parameter>`` under the first template the path fits."""
    for template in templates:
        parts = template.split("/")
        if len(parts) != len(segments):
            continue
        names: dict[int, str] = {}
        for i, (part, segment) in enumerate(zip(parts, segments, strict=True)):
            param = _PARAM.match(part)
            if param:
                names[i] = f"path.{param.group(1)}"
            elif part != segment:
                break
        else:
            return names
    return {}


def _query(raw: bytes) -> list[FieldProblem]:
    if not raw:
        return []
    # As Starlette reads it (latin-1, then percent-decoding as UTF-8).
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return _pairs("query", pairs)


def _pairs(where: str, pairs: list[tuple[str, str]]) -> list[FieldProblem]:
    found = []
    for name, value in pairs:
        field = f"{where}.{printable(name)}"
        for text, what in ((name, "the name "), (value, "")):
            reason = text_problem(text)
            if reason:
                found.append(FieldProblem(field=field, problem=what + reason))
    return found


@functools.lru_cache(maxsize=256)
def media_type(content_type: str) -> tuple[str, str]:
    """(main type, subtype) of a ``Content-Type`` value, as the e-mail parser reads it."""
    header = MimeHeader()
    header["content-type"] = content_type
    return header.get_content_maintype(), header.get_content_subtype()


def _body(content_type: str | None, body: bytes) -> list[FieldProblem]:
    if not body:
        return []
    main, sub = media_type(content_type or "application/json")
    if main == "application" and (sub == "json" or sub.endswith("+json")):
        if not _MAYBE_BAD_JSON.search(body):
            return []
        try:
            value = json.loads(body)
        except (ValueError, RecursionError):  # not JSON: the route says so
            return []
        return [FieldProblem(field=f, problem=p) for f, p in value_problems(value, "body")]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return []
    if main == "application" and sub == "x-www-form-urlencoded":
        return _pairs("form", parse_qsl(text, keep_blank_values=True))
    if main in ("text", "message"):
        reason = text_problem(text)
        return [FieldProblem(field="body", problem=reason)] if reason else []
    return []


async def read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body, and whether the client went away meanwhile."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def request_id_of_scope(scope: Scope) -> str | None:
    value = (scope.get("state") or {}).get("request_id")
    return value if isinstance(value, str) else None


def instance_of(scope: Scope) -> str:
    """The request path, lone surrogates escaped (JSON can carry a NUL, not those)."""
    return str(scope.get("path", "")).encode("utf-8", "backslashreplace").decode("utf-8")


async def send_problem(
    scope: Scope, receive: Receive, send: Send, status: int, detail: str, **fields: Any
) -> None:
    """Answer the request with :func:`~leadflow.api.problems.problem` (``fields``: its kind,
    title, errors, headers), its instance and request id taken from ``scope``."""
    response = problem(
        status, detail, instance=instance_of(scope), request_id=request_id_of_scope(scope), **fields
    )
    await response(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, found: list[FieldProblem]) -> None:
    names = ", ".join(f"{p.field}: {p.problem}" for p in found)
    await send_problem(
        scope, receive, send, 422, f"the request is not valid: {names}",
        kind="validation", title="Invalid request", errors=found,
    )  # fmt: skip
