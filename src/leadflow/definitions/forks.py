"""The checks of ``parallel`` nodes on the graph: each branch keeps to its own nodes.

A branch's *region* is every node reachable from its ``start`` without passing the join target
(the parallel's ``next``). The engine runs a region as a separate run, so a region must be its
own: no node of it may belong to another branch's region (of this or another parallel), be
reached from the workflow's start without going through a fork (a node "outside the fork"),
or be a ``parallel`` itself (nested forks are refused: a branch run's own branches would join
into a run that is itself joined, and nothing here proves that sound).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ForkNode:
    """A node as the fork checks see it: its label for messages, id, kind and raw fields."""

    label: str
    id: str
    kind: str | None
    raw: Mapping[Any, Any]


@dataclass(frozen=True, slots=True)
class _Branch:
    label: str  # "nodes[2](fork).branches[0]"
    name: str
    start: str
    fork: str  # the parallel's id
    join: str | None


def _branches(node: ForkNode) -> list[_Branch]:
    items = node.raw.get("branches")
    join = node.raw.get("next") if isinstance(node.raw.get("next"), str) else None
    out: list[_Branch] = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, Mapping) and isinstance(item.get("start"), str):
            name = str(item.get("name") or f"#{i}")
            out.append(_Branch(f"{node.label}.branches[{i}]", name, item["start"], node.id, join))
    return out


def _region(branch: _Branch, edges: Mapping[str, Sequence[str]]) -> list[str]:
    """The branch's nodes in the order found (breadth first), the join target left out."""
    if branch.start == branch.join:
        return []
    seen = {branch.start}
    order = [branch.start]
    queue = deque([branch.start])
    while queue:
        for target in edges.get(queue.popleft(), ()):
            if target != branch.join and target not in seen:
                seen.add(target)
                order.append(target)
                queue.append(target)
    return order


def fork_problems(
    nodes: Sequence[ForkNode], start: str | None, edges: Mapping[str, Sequence[str]]
) -> list[str]:
    """Every problem of the definition's ``parallel`` nodes, as ``"<path>: <problem>"``.
    ``edges`` are every node's targets (branch starts included), ``nodes`` the nodes with ids."""
    forks = [n for n in nodes if n.kind == "parallel"]
    if not forks:
        return []
    kinds = {n.id: n.kind for n in nodes}
    problems: list[str] = []
    branches: list[_Branch] = []
    for fork in forks:
        names: set[str] = set()
        for branch in _branches(fork):
            if branch.name in names:
                problems.append(f"{branch.label}.name: duplicate branch name {branch.name!r}")
            names.add(branch.name)
            if branch.start == branch.join:
                problems.append(
                    f"{branch.label}.start: the branch starts at the join target "
                    f"{branch.join!r}; it would do nothing"
                )
            branches.append(branch)
    into_branches = {(b.fork, b.start) for b in branches}
    outside = _outside(start, edges, into_branches)
    owner: dict[str, _Branch] = {}
    for branch in branches:  # one problem per branch: the first node found going wrong
        region = [i for i in _region(branch, edges) if i in kinds]  # missing: graph's report
        problem = next((p for i in region if (p := _wrong(branch, i, kinds, outside, owner))), None)
        if problem is not None:
            problems.append(
                f"{branch.label}: branch {branch.name!r} of parallel {branch.fork!r} {problem}"
            )
            continue
        for node_id in region:
            owner.setdefault(node_id, branch)
    return problems


def _wrong(
    branch: _Branch,
    node_id: str,
    kinds: Mapping[str, str | None],
    outside: set[str],
    owner: Mapping[str, _Branch],
) -> str | None:
    """What is wrong with ``node_id`` in ``branch``'s region, or None."""
    if kinds[node_id] == "parallel":
        return (
            f"reaches the parallel node {node_id!r}; parallel nodes cannot be nested (put the "
            "second fork after the join)"
        )
    if node_id in outside:
        may = f"lead to the join target {branch.join!r} or end" if branch.join else "end"
        return (
            f"reaches node {node_id!r}, which is outside the fork (the workflow reaches it "
            f"without the fork); a branch may only {may}"
        )
    other = owner.get(node_id)
    if other is not None and other is not branch:
        return (
            f"reaches node {node_id!r}, which branch {other.name!r} of parallel {other.fork!r} "
            "reaches too; branches must not share nodes (only the join target may be reached "
            "by every branch)"
        )
    return None


def _outside(
    start: str | None, edges: Mapping[str, Sequence[str]], fork_edges: set[tuple[str, str]]
) -> set[str]:
    """The nodes reachable from ``start`` without entering a branch of a fork."""
    if start is None:
        return set()
    seen = {start}
    queue = deque([start])
    while queue:
        node_id = queue.popleft()
        for target in edges.get(node_id, ()):
            if (node_id, target) not in fork_edges and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen
