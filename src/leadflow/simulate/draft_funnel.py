"""The per-node funnel and the per-edge counts of a simulated workflow, read from the scratch
store once the simulation has run: per node the analytics funnel's numbers (entered, completed,
failed, at it now, exited by reason), per edge the runs that went from one node to the next by
that edge (the edge's port found from the node's outcome where two ports lead to one node)."""

from __future__ import annotations

from typing import Any

from leadflow.analytics import funnel as funnels
from leadflow.analytics.filters import Filters
from leadflow.definitions.graph import raw_edges
from leadflow.model.records import RunFilter, Scope
from leadflow.store.contract import Store

PAGE = 5000


def _port_of_outcome(node: dict[str, Any], outcome: str) -> str:
    """The edge a decision's outcome names (``case:1`` -> ``cases[1].next``), else ``next``."""
    if outcome.startswith("case:"):
        return f"cases[{outcome[5:]}].next"
    if outcome.startswith("arm:"):
        names = [a.get("name") for a in node.get("arms") or [] if isinstance(a, dict)]
        name = outcome[4:]
        return f"arms[{names.index(name)}].next" if name in names else "next"
    return {
        "event": "on_event",
        "timeout": "on_timeout",
        "default": "default",
        "failed": "on_error",
        "missing": "on_missing",
    }.get(outcome, "next")


def port_between(node: dict[str, Any], outcome: str, target: str) -> str | None:
    """The edge of ``node`` that led to ``target`` after ``outcome``; None when none does."""
    ports = [path for path, to in raw_edges(node) if to == target]
    if len(ports) <= 1:
        return ports[0] if ports else None
    named = _port_of_outcome(node, outcome)
    return named if named in ports else ports[0]


def _run_ids(store: Store, key: str) -> set[int]:
    ids: set[int] = set()
    after = 0
    while page := store.list_runs(RunFilter(workflow_key=key, limit=PAGE, after_id=after)):
        after = page[-1].id
        ids.update(r.id for r in page)
    return ids


def edge_counts(store: Store, definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Per edge of ``definition`` (``source``, ``port`` as validation names it, ``target``):
    the runs of the workflow that took it, at least once each; edges nobody took count 0."""
    nodes = {str(n["id"]): n for n in definition["nodes"]}
    runs = _run_ids(store, str(definition["key"]))
    last: dict[int, tuple[str, str]] = {}  # run -> (node, outcome) of its latest step
    took: dict[tuple[str, str], set[int]] = {}
    since = 0
    while steps := store.all_steps(limit=10_000, since_id=since):
        since = steps[-1].id or since
        for step in steps:
            if step.run_id not in runs:
                continue
            before = last.get(step.run_id)
            if before is not None and before[0] != step.node and before[0] in nodes:
                port = port_between(nodes[before[0]], before[1], step.node)
                if port is not None:
                    took.setdefault((before[0], port), set()).add(step.run_id)
            last[step.run_id] = (step.node, step.outcome)
    out = []
    for source, node in nodes.items():
        for port, target in raw_edges(node):
            runs_by = len(took.get((source, port), ()))
            out.append({"source": source, "port": port, "target": target, "runs": runs_by})
    return out


def node_funnel(store: Store, tenant_id: str, key: str) -> dict[str, dict[str, Any]]:
    """The analytics funnel's row of each node of the simulated workflow, by node id:
    completed, failed, current (at it when the simulation ended), exit reasons."""
    data = funnels.compute(store, Scope(tenant_id), key, Filters())
    rows = funnels.report(data)["nodes"]
    return {
        row["node"]: {
            "completed": row["completed"],
            "failed": row["failed"],
            "current": row["current"],
            "exit_reasons": row["exited"],
            "outcomes": {k: v["runs"] for k, v in (row.get("outcomes") or {}).items()},
        }
        for row in rows
    }


def failure_list(failures: dict[str, int]) -> list[dict[str, Any]]:
    """``{"<node>: <error>": n}`` (the simulation report's) as rows, most frequent first."""
    rows = []
    for text, count in failures.items():
        node, _, reason = text.partition(": ")
        rows.append({"node": node, "reason": reason, "count": count})
    return sorted(rows, key=lambda r: (-r["count"], r["node"], r["reason"]))


__all__ = ["edge_counts", "failure_list", "node_funnel", "port_between"]
