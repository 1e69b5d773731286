"""Builders of small workflow definitions (plain dicts, as loaded from YAML)."""

from __future__ import annotations

import copy
from typing import Any

from leadflow.definitions import validate


def workflow(*nodes: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A valid definition of ``nodes`` (default: one SMS); ``start`` is the first node."""
    node_list = [copy.deepcopy(n) for n in nodes] or [sms("hello")]
    data: dict[str, Any] = {
        "key": "test-flow",
        "name": "Test flow",
        "triggers": [{"type": "event", "event": "lead.created"}],
        "start": node_list[0]["id"],
        "nodes": node_list,
    }
    data.update(top)
    return data


def sms(node_id: str, body: str = "Hi {{ contact.first_name }}", **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "send_sms", "body": body, **extra}


def wait(node_id: str, duration: str = "1h", **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "kind": "wait", "duration": duration, **extra}


def errors_of(data: Any) -> list[str]:
    report = validate(data)
    assert report.ok is (not report.errors)
    if report.errors:
        assert report.definition is None
    return report.errors


def has(errors: list[str], prefix: str) -> bool:
    return any(e.startswith(prefix) for e in errors)
