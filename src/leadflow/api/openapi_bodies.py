"""Request bodies the OpenAPI document describes from the product's own schemas.

The workflow routes (validate, draft, publish) take a definition in the workflow language: their
request bodies, JSON and YAML alike, point at the language's JSON Schema
(:func:`~leadflow.definitions.schema.workflow_json_schema`), whose definitions are added to the
document's components under ``Workflow.<name>`` (the root is ``WorkflowDefinition``). A route
asks for it with :data:`WORKFLOW_BODY` in its ``openapi_extra``; :func:`install` makes the
document say it. A client generated from ``/openapi.json``, or a schema-driven fuzzer, then
builds definitions the API reads instead of arbitrary objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from leadflow.definitions.schema import workflow_json_schema

ROOT = "WorkflowDefinition"
MARK = "x-leadflow-body"  # on an operation: which product schema its body is (removed)
WORKFLOW_BODY: dict[str, Any] = {MARK: "workflow"}
BODY_TYPES = ("application/json", "application/yaml")


def _renamed(value: Any) -> Any:
    """``value`` with each ``#/$defs/X`` reference made ``#/components/schemas/Workflow.X``."""
    if isinstance(value, dict):
        out = {k: _renamed(v) for k, v in value.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = "#/components/schemas/Workflow." + ref.removeprefix("#/$defs/")
        return out
    if isinstance(value, list):
        return [_renamed(v) for v in value]
    return value


def workflow_components() -> dict[str, Any]:
    """The workflow language's schema as OpenAPI components: the root and its definitions."""
    schema = dict(workflow_json_schema())
    schema.pop("$schema", None)
    defs = schema.pop("$defs", {})
    out = {ROOT: _renamed(schema)}
    out |= {f"Workflow.{name}": _renamed(body) for name, body in defs.items()}
    return out


def _body(required: bool) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{ROOT}"}
    return {
        "required": required,
        "description": "A workflow definition (the language of `leadflow workflows schema`), "
        "as JSON or YAML.",
        "content": {media: {"schema": ref} for media in BODY_TYPES},
    }


def describe(document: dict[str, Any]) -> dict[str, Any]:
    """Give the marked operations of ``document`` their bodies, and the document the
    components they point at."""
    marked = False
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.pop(MARK, None) == "workflow":
                required = bool(operation.get("requestBody", {}).get("required", False))
                operation["requestBody"] = _body(required)
                marked = True
    if marked:
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(workflow_components())
    return document


def install(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document describe the marked bodies (built once, then kept)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
