"""The workflow language's JSON Schema made *strict* for structured output: every object closed
(``additionalProperties: false``), every property required, the optional ones nullable, free-form
maps dropped (a model fills those by repair, never blindly), ``const`` as a one-value ``enum`` and
the keywords strict servers refuse (defaults, lengths, patterns, bounds) removed. The answer is
validated by :func:`leadflow.definitions.validation.validate` whatever the server did with it."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from leadflow.definitions.schema import workflow_json_schema

_DROP = (
    "default",
    "title",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "format",
    "discriminator",
    "$schema",
)
ANY_VALUE: dict[str, Any] = {
    "anyOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}},
        {"type": "null"},
    ]
}


def closed_object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object schema with exactly ``properties``, every one required (the strict form)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def string_fields(*names: str) -> dict[str, Any]:
    """A closed object of the string fields ``names`` (a model's short structured answer)."""
    return closed_object({name: {"type": "string"} for name in names})


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if isinstance(options, list) and any(o.get("type") == "null" for o in options):
        return schema
    if schema.get("type") == "null":
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v) for k, v in node.items() if k not in _DROP}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if out == {} or (set(out) <= {"description"}):  # Any: a plain value
        return {
            **ANY_VALUE,
            **({"description": node["description"]} if "description" in node else {}),
        }
    if out.get("type") == "object" or "properties" in out:
        props: dict[str, Any] = {}
        required = set(node.get("required") or [])
        original = node.get("properties") or {}
        for name, sub in (out.get("properties") or {}).items():
            raw = original.get(name) or {}
            if raw.get("type") == "object" and "properties" not in raw:
                continue  # a free-form map (update_contact.set, webhook headers, action params)
            props[name] = sub if name in required else _nullable(sub)
        out["properties"] = props
        out["required"] = list(props)
        out["additionalProperties"] = False
        out["type"] = "object"
    return out


@lru_cache(maxsize=1)
def _cached() -> str:
    import json

    body = workflow_json_schema()
    return json.dumps(_strict(body))


def strict_workflow_schema() -> dict[str, Any]:
    """A fresh copy of the strict schema of a workflow definition."""
    import json

    return copy.deepcopy(json.loads(_cached()))


def without_nulls(value: Any) -> Any:
    """The answer with every ``null`` member dropped (strict output sends absent ones as null)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value
