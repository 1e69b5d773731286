"""A cluster as a condition in the workflow language: the shallow decision rule over contact
fields that best separates a k-means cluster from the rest of its segment.

Inputs are the cluster's feature columns (``ai/clusters.py``) that a condition can name: the
numbers ``budget`` (``contact.fields.budget``) and ``score`` (``contact.score``), and each
category value but "other" / "unknown" (``contact.fields.city eq Austin``, spelled as most of
the contacts spell it). Engagement counts and a contact's age are features of the clusters but
not contact fields, so no rule uses them.

A ``DecisionTreeClassifier`` (balanced class weights, ``random_state`` 0) of depth 1, 2, then up
to :data:`MAX_DEPTH`, is fitted to "in the cluster or not" on the segment's contacts; the
shallowest depth whose rule reaches :data:`GOOD` precision and recall is kept, else the one
with the best F1 (the shallower on a tie). Its leaves that predict the cluster become the
condition: one path -> ``{"all": [...]}``, several -> ``{"any": [{"all": [...]}, ...]}``; a
category's "not this value" becomes "this other value" when all the contacts the path selects
have that one value (``city eq Austin`` rather than ``city ne Dallas``); a
number's split "x <= t" becomes ``lt r`` / ``gte r`` with ``r`` the roundest number between the
two data values the split falls between (so it separates the contacts exactly as the tree did);
contacts without the number carry its median in the tree, so the side the median falls on gets
"or the field is missing" (``{"any": [{... "gte" ...}, {... "eq": null}]}``).
Precision and recall are measured by compiling the condition as the engine does and running it
over the segment's contacts (a contact missing the field fails a ``gte``, as it would in a run).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadflow.ai.clusters import FIELD_OF, Column, Fit, as_number, spelling
from leadflow.definitions.conditions import compile_condition
from leadflow.model.records import Contact

MAX_DEPTH = 3
GOOD = 0.95  # precision and recall at which a shallower rule is preferred
SEED = 0


@dataclass(frozen=True)
class _Input:
    column: Column
    field: str  # the condition's field
    value: Any  # a category's stored spelling (None for a number)
    imputed: float | None = None  # the value a number's missing contacts carry (None: none)


@dataclass(frozen=True)
class Rule:
    condition: dict[str, Any]
    depth: int
    matched: int  # segment contacts meeting the condition
    hits: int  # ... of them in the cluster
    size: int  # contacts in the cluster

    @property
    def precision(self) -> float:
        return self.hits / self.matched if self.matched else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.size if self.size else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "said": said(self.condition),
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "matched": self.matched,
            "in_cluster": self.hits,
            "depth": self.depth,
        }


def said(condition: dict[str, Any]) -> str:
    """A rule in short words: ``city eq Austin and budget gte 700000``; branches of an ``any``
    in brackets joined by ``or``."""
    if "any" in condition:
        parts = [f"({said(c)})" if "all" in c else said(c) for c in condition["any"]]
        return "(" + " or ".join(parts) + ")"
    if "all" in condition:
        return " and ".join(said(c) for c in condition["all"])
    name = condition["field"].rsplit(".", 1)[-1]
    if condition["op"] == "eq" and condition["value"] is None:
        return f"{name} missing"
    return f"{name} {condition['op']} {condition['value']}"


def _inputs(contacts: list[Contact], columns: list[Column]) -> list[_Input]:
    everyone = list(range(len(contacts)))
    found: list[_Input] = []
    for col in columns:
        if col.value is None:
            if col.feature in FIELD_OF:
                missing = [
                    i
                    for i, c in enumerate(contacts)
                    if as_number(c.fields.get(col.feature)) is None
                ]
                imputed = col.data[missing[0]] if missing else None
                found.append(_Input(col, FIELD_OF[col.feature], None, imputed))
        elif col.value not in ("other", "unknown"):
            spelled = spelling(contacts, col.feature, col.value, everyone)
            if spelled is not None:
                found.append(_Input(col, spelled[0], spelled[1]))
    return found


def roundest(low: float, high: float) -> float:
    """The roundest number ``r`` with ``low < r <= high`` (``high`` itself at worst)."""
    if high <= low:
        return high
    top = math.floor(math.log10(max(abs(low), abs(high), 1e-9))) + 1
    for power in range(top, -7, -1):
        for mult in (5, 2, 1):
            step = mult * 10.0**power
            r = (math.floor(low / step) + 1) * step
            if r <= high:
                return int(r) if float(r).is_integer() else round(r, 6)
    return high


def _leaf(inp: _Input, above: bool, low: float, high: float) -> dict[str, Any]:
    """The condition for one side of a split of ``inp`` between data values low < high; on the
    side the tree sent the contacts without the number (at their imputed median), "or it is
    missing" too, so that the rule keeps them as the tree did."""
    if inp.value is not None:  # a 0/1 column: above the split is "is that value"
        return {"field": inp.field, "op": "eq" if above else "ne", "value": inp.value}
    leaf = {"field": inp.field, "op": "gte" if above else "lt", "value": roundest(low, high)}
    if inp.imputed is not None and (inp.imputed >= high) == above:
        return {"any": [leaf, {"field": inp.field, "op": "eq", "value": None}]}
    return leaf


def _parts(leaf: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the comparison, whether a missing value also passes) of a leaf made by :func:`_leaf`."""
    if "any" in leaf:
        return dict(leaf["any"][0]), True
    return dict(leaf), False


def _merge(path: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ``gte`` (the highest) and one ``lt`` (the lowest) per field, missing passing only
    when it passes both; others as they are."""
    merged: list[tuple[dict[str, Any], bool]] = []
    for leaf in path:
        cmp, or_missing = _parts(leaf)
        i = next(
            (
                i
                for i, (x, _) in enumerate(merged)
                if x["field"] == cmp["field"] and x["op"] == cmp["op"] in ("gte", "lt")
            ),
            None,
        )
        if i is None:
            if (cmp, or_missing) not in merged:
                merged.append((cmp, or_missing))
            continue
        old, old_missing = merged[i]
        pick = max if cmp["op"] == "gte" else min
        merged[i] = ({**old, "value": pick(old["value"], cmp["value"])}, old_missing and or_missing)
    needed = {cmp["field"] for cmp, or_missing in merged if not or_missing}  # missing fails
    return [
        {"any": [cmp, {"field": cmp["field"], "op": "eq", "value": None}]}
        if or_missing and cmp["field"] not in needed
        else cmp
        for cmp, or_missing in merged
    ]


def _paths(tree: Any, inputs: list[_Input], matrix: Any) -> list[list[dict[str, Any]]]:
    """The conditions of the tree's leaves that predict the cluster (class 1)."""
    t = tree.tree_
    found: list[list[dict[str, Any]]] = []

    def walk(node: int, path: list[dict[str, Any]]) -> None:
        left, right = t.children_left[node], t.children_right[node]
        if left == right:  # a leaf
            weights = t.value[node][0]
            if len(weights) > 1 and weights[1] > weights[0]:
                found.append(_merge([dict(x) for x in path]))
            return
        j, threshold = t.feature[node], t.threshold[node]
        column = matrix[:, j]
        low = float(column[column <= threshold].max())
        high = float(column[column > threshold].min())
        walk(left, [*path, _leaf(inputs[j], False, low, high)])
        walk(right, [*path, _leaf(inputs[j], True, low, high)])

    walk(0, [])
    return found


def _value_at(scope: dict[str, Any], dotted: str) -> Any:
    value: Any = scope
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _prefer_eq(path: list[dict[str, Any]], scopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``city ne Dallas`` -> ``city eq Austin`` when every contact the path selects has that one
    value: the same contacts today, and no stranger (a Houston lead) enrolled tomorrow."""
    test = compile_condition({"all": path})
    chosen = [s for s in scopes if test(s)]
    out = []
    for leaf in path:
        if leaf.get("op") == "ne" and chosen:
            values = {_value_at(s, leaf["field"]) for s in chosen}
            if len(values) == 1 and isinstance(next(iter(values)), str):
                leaf = {"field": leaf["field"], "op": "eq", "value": values.pop()}
        if leaf not in out:
            out.append(leaf)
    return out


def _condition(paths: list[list[dict[str, Any]]]) -> dict[str, Any]:
    if len(paths) == 1:
        return {"all": paths[0]}
    return {"any": [{"all": p} for p in paths]}


def _measure(
    condition: dict[str, Any], scopes: list[dict[str, Any]], inside: list[bool], depth: int
) -> Rule:
    test = compile_condition(condition)
    hits = [bool(test(s)) for s in scopes]
    return Rule(
        condition,
        depth,
        matched=sum(hits),
        hits=sum(h and i for h, i in zip(hits, inside, strict=True)),
        size=sum(inside),
    )


def cluster_rule(
    contacts: list[Contact], columns: list[Column], labels: list[int], cluster: int
) -> Rule | str:
    """The rule separating ``cluster`` (a k-means label) from the rest of ``contacts``, or why
    there is none."""
    inputs = _inputs(contacts, columns)
    if not inputs:
        return "no contact field tells the clusters apart (only engagement or age does)"
    inside = [label == cluster for label in labels]
    if all(inside) or not any(inside):
        return "the cluster is the whole segment or empty"
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier

    matrix = np.array([inp.column.data for inp in inputs]).T
    target = np.array(inside, dtype=int)
    scopes = [{"contact": c.as_dict()} for c in contacts]
    best: Rule | None = None
    for depth in range(1, MAX_DEPTH + 1):
        tree = DecisionTreeClassifier(
            max_depth=depth,
            class_weight="balanced",
            min_samples_leaf=max(2, len(contacts) // 100),
            random_state=SEED,
        ).fit(matrix, target)
        paths = _paths(tree, inputs, matrix)
        if not paths:
            continue
        paths = [_prefer_eq(p, scopes) for p in paths]
        rule = _measure(_condition(paths), scopes, inside, depth)
        if best is None or rule.f1 > best.f1 + 1e-9:
            best = rule
        if rule.precision >= GOOD and rule.recall >= GOOD:
            return rule
    return best or "no condition over contact fields selects the cluster"


def rule_of(contacts: list[Contact]) -> Callable[[Fit, int], dict[str, Any]]:
    """``more`` for :func:`~leadflow.ai.clusters.cluster_contacts`: each cluster's ``rule``
    (condition, precision, recall, ...) or ``{"condition": None, "reason": ...}``."""

    def more(found: Fit, label: int) -> dict[str, Any]:
        rule = cluster_rule(contacts, found.columns, found.labels, label)
        if isinstance(rule, str):
            return {"rule": {"condition": None, "reason": rule}}
        return {"rule": rule.as_dict()}

    return more
