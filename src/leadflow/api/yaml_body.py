"""YAML request bodies: ``Content-Type: application/yaml`` (or ``application/x-yaml``,
``text/yaml``, ``text/x-yaml``) is read with the workflow files' strict loader
(:func:`leadflow.definitions.io.load_text`: no ``yes``/``no`` booleans, zip codes stay strings,
duplicate keys and alias bombs refused) and handed on as the same value in JSON, so every route
that takes a JSON body takes YAML too, with one behaviour: the input guard behind this checks the
converted body as it checks any JSON.

A body that is not YAML is a 400 naming the line and the column, as malformed JSON is.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from leadflow.api.input_guard import media_type, read_body, replay, send_problem
from leadflow.api.problems import FieldProblem
from leadflow.definitions.io import load_text
from leadflow.errors import InvalidInput

YAML_TYPES = frozenset(
    {("application", "yaml"), ("application", "x-yaml"), ("text", "yaml"), ("text", "x-yaml")}
)


def is_yaml(content_type: str | None) -> bool:
    return bool(content_type) and media_type(content_type or "") in YAML_TYPES


class YamlBodyMiddleware:
    """Turns a YAML body into JSON before the input guard and the routes read it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_yaml(Headers(scope=scope).get("content-type")):
            await self.app(scope, receive, send)
            return
        body, disconnected = await read_body(receive)
        if disconnected:
            return
        try:
            value = load_text(body.decode("utf-8"), filename="the body")
        except UnicodeDecodeError:
            await _malformed(scope, receive, send, "is not UTF-8 text")
            return
        except InvalidInput as exc:
            await _malformed(
                scope,
                receive,
                send,
                str(exc).replace("invalid YAML in the body", "is not valid YAML"),
            )
            return
        converted = json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8")
        headers = MutableHeaders(scope=scope)
        headers["content-type"] = "application/json"
        headers["content-length"] = str(len(converted))
        await self.app(scope, replay(converted, receive), send)


async def _malformed(scope: Scope, receive: Receive, send: Send, why: str) -> None:
    await send_problem(
        scope, receive, send, 400, f"the body {why}", kind="malformed",
        title="Malformed request body", errors=[FieldProblem(field="body", problem=why)],
    )  # fmt: skip
