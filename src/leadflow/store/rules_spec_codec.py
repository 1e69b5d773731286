"""A rule's spec to and from its JSON column (one text for every backend)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from leadflow.model.automation import RuleSpec
from leadflow.model.jsonvalue import dumps, loads


def spec_json(spec: RuleSpec) -> str:
    return dumps(asdict(spec))


def spec_from_json(text: str) -> RuleSpec:
    raw: dict[str, Any] = loads(text)
    return RuleSpec(
        name=str(raw["name"]),
        event=str(raw["event"]),
        actions=list(raw["actions"]),
        filter=raw.get("filter"),
        priority=int(raw.get("priority", 0)),
        stop=bool(raw.get("stop", False)),
    )


__all__ = ["spec_from_json", "spec_json"]
