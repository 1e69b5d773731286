"""Graph checks on raw node dicts: edges, reachability, cycles without a wait.

These work on the raw nodes (not the models) so that a node with a shape error still counts:
its edges keep their targets reachable and it still names an id others may point at.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from leadflow.definitions.models import NODE_KINDS, WAIT_KINDS

NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_COMMON_EDGES = ("next", "on_error")
_KIND_EDGES: dict[str, tuple[str, ...]] = {
    "wait_for_event": ("on_event", "on_timeout"),
    "branch": ("default",),
    "wait_until": ("on_missing",),
}
# (list field, kind that has it, the edge field of each item)
_LIST_EDGES = (
    ("cases", "branch", "next"),
    ("arms", "split", "next"),
    ("branches", "parallel", "start"),
)


def raw_edges(raw: Mapping[Any, Any]) -> list[tuple[str, str]]:
    """(field path relative to the node, target id) for every well-formed edge in a raw node.

    Only the edge fields the node's kind has are read (``next`` and ``on_error`` for an unknown
    kind); a target must look like a node id.
    """
    kind = raw.get("kind")
    known = kind in NODE_KINDS
    out: list[tuple[str, str]] = []
    names = _COMMON_EDGES + (_KIND_EDGES.get(kind, ()) if isinstance(kind, str) else ())
    for name in names:
        target = raw.get(name)
        if isinstance(target, str) and NODE_ID.match(target):
            out.append((name, target))
    for list_name, kind_name, edge in _LIST_EDGES:
        items = raw.get(list_name)
        if not known or kind != kind_name or not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            target = item.get(edge) if isinstance(item, Mapping) else None
            if isinstance(target, str) and NODE_ID.match(target):
                out.append((f"{list_name}[{i}].{edge}", target))
    return out


def reachable(start: str, edges: Mapping[str, Iterable[str]]) -> set[str]:
    """Ids reachable from ``start`` (included) following ``edges``."""
    seen = {start}
    queue = deque([start])
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _components(order: Sequence[str], edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan), in discovery order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in order:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, ())
            if i < len(targets):
                work.append((node, i + 1))
                target = targets[i]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def _cycle_through(start: str, members: set[str], edges: Mapping[str, Sequence[str]]) -> list[str]:
    """A shortest cycle start -> ... -> start inside ``members``."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in edges.get(node, ()):
            if target not in members:
                continue
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if target not in parent:
                parent[target] = node
                queue.append(target)
    return [start, start]  # pragma: no cover - members form a cycle by construction


def waitless_cycles(
    kinds: Mapping[str, str], edges: Mapping[str, Sequence[str]]
) -> list[list[str]]:
    """One cycle (ids in order, first repeated last) per loop that passes no wait node.

    ``kinds`` lists the nodes in definition order; ids of unknown kinds are left out.
    """
    order = [i for i, kind in kinds.items() if kind in NODE_KINDS and kind not in WAIT_KINDS]
    keep = set(order)
    sub = {i: [t for t in edges.get(i, ()) if t in keep] for i in order}
    cycles: list[list[str]] = []
    position = {node: n for n, node in enumerate(order)}
    for component in _components(order, sub):
        members = set(component)
        first = min(component, key=position.__getitem__)
        if len(component) > 1 or first in sub[first]:
            cycles.append(_cycle_through(first, members, sub))
    cycles.sort(key=lambda c: position[c[0]])
    return cycles
