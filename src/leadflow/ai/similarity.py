"""Structural similarity of two drafts (for the agreement of k model samples): the trigger, the
multiset of node kinds and the kind-to-kind edges, each compared by Jaccard index."""

from __future__ import annotations

from collections import Counter
from typing import Any

from leadflow.definitions.graph import raw_edges


def _jaccard(a: Counter[Any], b: Counter[Any]) -> float:
    union = sum((a | b).values())
    return sum((a & b).values()) / union if union else 1.0


def _shape(definition: dict[str, Any]) -> tuple[Any, Counter[str], Counter[tuple[str, str]]]:
    nodes = {str(n.get("id")): str(n.get("kind")) for n in definition.get("nodes") or []}
    trig = (definition.get("triggers") or [{}])[0]
    trigger = (trig.get("type"), trig.get("event"), trig.get("cron"))
    edges: Counter[tuple[str, str]] = Counter()
    for node in definition.get("nodes") or []:
        for _, target in raw_edges(node):
            edges[(nodes.get(str(node.get("id")), "?"), nodes.get(target, "?"))] += 1
    return trigger, Counter(nodes.values()), edges


def similarity(a: dict[str, Any], b: dict[str, Any] | None) -> float:
    """1 for the same structure, 0 for nothing in common (or no second draft)."""
    if b is None:
        return 0.0
    ta, ka, ea = _shape(a)
    tb, kb, eb = _shape(b)
    score = 0.2 * float(ta == tb) + 0.4 * _jaccard(ka, kb) + 0.4 * _jaccard(ea, eb)
    return round(score, 3)
