"""What changed between two versions of a workflow: a structured diff (nodes added, removed and
changed with the fields that changed; settings, triggers and other top-level fields) and a
unified diff of the canonical YAML (:func:`leadflow.definitions.io.dump_yaml`)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from leadflow.definitions.io import canonical_data, dump_yaml
from leadflow.definitions.models import WorkflowDefinition


@dataclass(slots=True)
class NodeChange:
    id: str
    fields: list[str]  # the node's fields whose value differs (added or removed ones too)


@dataclass(slots=True)
class DefinitionDiff:
    nodes_added: list[str] = field(default_factory=list)
    nodes_removed: list[str] = field(default_factory=list)
    nodes_changed: list[NodeChange] = field(default_factory=list)
    settings_changed: list[str] = field(default_factory=list)
    triggers_changed: bool = False
    fields_changed: list[str] = field(default_factory=list)  # name, description, start
    text: str = ""

    @property
    def same(self) -> bool:
        return not self.text


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    names = list(old) + [k for k in new if k not in old]
    return [k for k in names if old.get(k) != new.get(k)]


def diff_definitions(
    old: WorkflowDefinition,
    new: WorkflowDefinition,
    old_label: str = "old",
    new_label: str = "new",
) -> DefinitionDiff:
    """The changes from ``old`` to ``new``, compared in canonical form (defaults left out)."""
    a, b = canonical_data(old), canonical_data(new)
    old_nodes = {n["id"]: n for n in a.get("nodes", [])}
    new_nodes = {n["id"]: n for n in b.get("nodes", [])}
    out = DefinitionDiff(
        nodes_added=[i for i in new_nodes if i not in old_nodes],
        nodes_removed=[i for i in old_nodes if i not in new_nodes],
        settings_changed=_changed(a.get("settings", {}), b.get("settings", {})),
        triggers_changed=a.get("triggers", []) != b.get("triggers", []),
        fields_changed=[
            k for k in _changed(a, b) if k not in ("nodes", "settings", "triggers", "key")
        ],
    )
    for node_id, before in old_nodes.items():
        after = new_nodes.get(node_id)
        if after is not None and after != before:
            out.nodes_changed.append(NodeChange(node_id, _changed(before, after)))
    out.text = "".join(
        difflib.unified_diff(
            dump_yaml(old).splitlines(keepends=True),
            dump_yaml(new).splitlines(keepends=True),
            fromfile=old_label,
            tofile=new_label,
        )
    )
    return out
