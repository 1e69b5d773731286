"""k-means clusters over a segment's contacts, each described in words by what sets it apart.

Features per contact: numbers (``budget``, ``score``, days since the contact was created, and
the messages that left to it, opened, clicked and replied) and one-hot categories (lead source,
area: ``city`` else ``state``, ``timeline``, ``lead_type``, ``stage``; the
:data:`TOP_VALUES` most common values of each, the others as "other"). A number missing for a
contact takes the feature's median; a feature known for under a fifth of the contacts, or the
same for all, is left out. Columns are standardised (mean 0, variance 1), except that a
category value's 0/1 column is divided by at least the standard deviation it would have if
:data:`RARE_SHARE` of the contacts held it: standardised alone, a value 2 % of the contacts have
would set its few contacts ~7 standard deviations away from the rest, and k-means (and the
silhouette) would make them a cluster of their own - a tenth of the contacts with a stray city
did exactly that in the random planted segments of ``bench/cluster_rules_eval.py``.

k: given, or the best silhouette for k in 2..:data:`MAX_K` among the k whose every cluster has
at least :func:`min_cluster` contacts (:data:`MIN_PER_CLUSTER`, or :data:`MIN_SHARE` of the
segment if more; no k qualifies: no clusters, and the reason); silhouette on its own favours
splitting off a handful of outliers. ``KMeans(n_init=10, random_state=0)``, so the same contacts
always give the same clusters (above :data:`FIT_SAMPLE` contacts, fitted on a fixed sample of
that many and each contact given its nearest centre). Fewer than :data:`MIN_CONTACTS`
contacts: no clusters, and the reason.

Each cluster is described by its :data:`DESCRIBED` features most unlike the whole segment
(numbers: the distance of the cluster's mean from the segment's in the segment's standard
deviations; categories: the difference of shares in units of the segment's binomial standard
deviation), with numbers ("budget ~$850k (segment $420k)", "mostly from zillow (78%; segment
30%)"), and given conditions over contact fields that approximate it (its dominant categories,
its numbers' 10th-90th percentile range), with how many of the cluster and of the rest meet them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadflow.model.amounts import amount
from leadflow.model.records import Contact

MIN_CONTACTS = 30
MIN_PER_CLUSTER = 10
MIN_SHARE = 0.05  # a chosen k's smallest cluster holds at least this share of the segment
RARE_SHARE = 0.1  # a category value held by fewer contacts weighs as if this share held it
MAX_K = 6
TOP_VALUES = 8
DESCRIBED = 3
SEED = 0
FIT_SAMPLE = 5000  # contacts k-means is fitted on (all of them below this)
SOURCE_FIELDS = ("source", "lead_source", "LeadSource")
NUMBERS = ("budget", "score", "days_since_created", "sent", "opened", "clicked", "replied")
CATEGORIES = ("source", "area", "timeline", "lead_type", "stage")
FIELD_OF = {"budget": "contact.fields.budget", "score": "contact.score"}


@dataclass
class Column:
    name: str  # "budget" or "source=zillow"
    feature: str
    value: str | None  # the category's value (None for a number)
    data: list[float]


def as_number(value: Any) -> float | None:
    """A contact field's value as a number (see :func:`leadflow.model.amounts.amount`)."""
    return amount(value)


def _category(contact: Contact, feature: str) -> str | None:
    fields = contact.fields
    if feature == "source":
        raw = next((fields.get(n) for n in SOURCE_FIELDS if fields.get(n) not in (None, "")), None)
    elif feature == "area":
        raw = fields.get("city") or contact.state
    elif feature == "stage":
        raw = contact.stage
    else:
        raw = fields.get(feature)
    return None if raw in (None, "") else str(raw).strip().lower()


def _raw_numbers(
    contact: Contact, engagement: dict[str, int] | None, now: float
) -> dict[str, float | None]:
    eng = engagement or {}
    return {
        "budget": as_number(contact.fields.get("budget")),
        "score": as_number(contact.fields.get("score")),
        "days_since_created": max(0.0, (now - contact.created_at) / 86400.0)
        if contact.created_at
        else None,
        **{k: float(eng.get(k, 0)) for k in ("sent", "opened", "clicked", "replied")},
    }


def feature_columns(
    contacts: list[Contact], engagement: dict[str, dict[str, int]], now: float
) -> list[Column]:
    """The columns described in the module docstring (not yet standardised)."""
    n = len(contacts)
    columns: list[Column] = []
    raws = [_raw_numbers(c, engagement.get(c.id), now) for c in contacts]
    for name in NUMBERS:
        values = [r[name] for r in raws]
        known = [v for v in values if v is not None]
        if len(known) < n / 5 or len(set(known)) < 2:
            continue
        median = statistics.median(known)
        columns.append(Column(name, name, None, [median if v is None else v for v in values]))
    for feature in CATEGORIES:
        names = [_category(c, feature) for c in contacts]
        counts: dict[str, int] = {}
        for label in names:
            if label is not None:
                counts[label] = counts.get(label, 0) + 1
        if sum(counts.values()) < n / 5:
            continue
        top = sorted(counts, key=lambda v: (-counts[v], v))[:TOP_VALUES]
        kept = ["unknown" if name is None else name if name in top else "other" for name in names]
        if len(set(kept)) < 2:
            continue
        for value in sorted(set(kept)):
            data = [1.0 if v == value else 0.0 for v in kept]
            columns.append(Column(f"{feature}={value}", feature, value, data))
    return columns


def min_cluster(n: int) -> int:
    """The fewest contacts a cluster of a segment of ``n`` may hold when k is chosen."""
    return max(MIN_PER_CLUSTER, math.ceil(MIN_SHARE * n))


def weighted_matrix(columns: list[Column]) -> Any:
    """The contacts x columns matrix, standardised with rare category values held down (see
    the module docstring)."""
    import numpy as np

    matrix = np.array([c.data for c in columns], dtype=float).T
    matrix -= matrix.mean(axis=0)
    spread = matrix.std(axis=0)
    floor = math.sqrt(RARE_SHARE * (1 - RARE_SHARE))
    for j, col in enumerate(columns):
        scale = spread[j] if col.value is None else max(float(spread[j]), floor)
        if scale > 0:
            matrix[:, j] /= scale
    return matrix


def _money(value: float) -> str:
    if abs(value) >= 1e6:
        return f"${value / 1e6:.2f}M"
    if abs(value) >= 1e3:
        return f"${value / 1e3:.0f}k"
    return f"${value:.0f}"


def _say_number(name: str, mine: float, whole: float) -> str:
    if name == "budget":
        return f"budget ~{_money(mine)} (segment {_money(whole)})"
    if name == "score":
        return f"score ~{mine:.0f} (segment {whole:.0f})"
    if name == "days_since_created":
        return f"created ~{mine:.0f} days ago (segment {whole:.0f})"
    return f"{mine:.1f} messages {name} per contact (segment {whole:.1f})"


def _say_category(feature: str, value: str, share: float, whole: float) -> str:
    lead = "mostly" if share >= 0.5 else "often" if share > whole else "rarely"
    what = {
        "source": f"from {value}",
        "area": f"in {value}",
        "timeline": f"timeline {value}",
        "lead_type": f"{value}s",
        "stage": f"at stage {value}",
    }[feature]
    return f"{lead} {what} ({share:.0%}; segment {whole:.0%})"


def _distinguishing(columns: list[Column], members: list[int]) -> list[tuple[float, Column]]:
    """(effect, column) of the columns most unlike the segment, strongest first; one per
    feature (a category's strongest value)."""
    best: dict[str, tuple[float, Column]] = {}
    for col in columns:
        whole = statistics.fmean(col.data)
        mine = statistics.fmean(col.data[i] for i in members)
        if col.value is None:
            spread = statistics.pstdev(col.data) or 1.0
            effect = abs(mine - whole) / spread
        else:
            effect = (mine - whole) / math.sqrt(max(whole * (1 - whole), 1e-9))
        if col.feature not in best or effect > best[col.feature][0]:
            best[col.feature] = (effect, col)
    return sorted(best.values(), key=lambda e: (-e[0], e[1].name))[:DESCRIBED]


def _raw_category(contact: Contact, feature: str) -> tuple[str, Any] | None:
    """(condition field, stored value) behind ``_category`` for one contact."""
    fields = contact.fields
    if feature == "source":
        for name in SOURCE_FIELDS:
            if fields.get(name) not in (None, ""):
                return f"contact.fields.{name}", fields[name]
        return None
    if feature == "area":
        if fields.get("city"):
            return "contact.fields.city", fields["city"]
        return ("contact.state", contact.state) if contact.state else None
    if feature == "stage":
        return ("contact.stage", contact.stage) if contact.stage else None
    return (f"contact.fields.{feature}", fields[feature]) if fields.get(feature) else None


def spelling(
    contacts: list[Contact], feature: str, value: str, among: list[int]
) -> tuple[str, str] | None:
    """(condition field, value) of a category's value as most of the contacts ``among`` with
    it store it (``("contact.fields.city", "Austin")`` for ``area=austin``)."""
    spelled: dict[tuple[str, str], int] = {}
    for i in among:
        if _category(contacts[i], feature) == value:
            raw = _raw_category(contacts[i], feature)
            if raw is not None:
                key = (raw[0], str(raw[1]))
                spelled[key] = spelled.get(key, 0) + 1
    if not spelled:
        return None
    return max(spelled, key=lambda kv: (spelled[kv], kv))


def _conditions(
    contacts: list[Contact], chosen: list[tuple[float, Column]], members: list[int]
) -> list[dict[str, Any]]:
    leaves: list[dict[str, Any]] = []
    for _, col in chosen:
        if col.value is not None:
            share = statistics.fmean(col.data[i] for i in members)
            if share < 0.6 or col.value in ("other", "unknown"):
                continue
            spelled = spelling(contacts, col.feature, col.value, members)
            if spelled is not None:
                leaves.append({"field": spelled[0], "op": "eq", "value": spelled[1]})
        elif col.feature in FIELD_OF:
            values = sorted(col.data[i] for i in members)
            low = values[int(0.1 * (len(values) - 1))]
            high = values[math.ceil(0.9 * (len(values) - 1))]
            leaves.append({"field": FIELD_OF[col.feature], "op": "between", "value": [low, high]})
    return leaves


def describe(
    contacts: list[Contact],
    columns: list[Column],
    labels: list[int],
    k: int,
    more: Callable[[int], dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Each cluster: size, share, words, distinguishing features with numbers, conditions, and
    what ``more(label)`` adds."""
    from leadflow.definitions.conditions import compile_condition

    out: list[dict[str, Any]] = []
    n = len(contacts)
    for cluster in range(k):
        members = [i for i, label in enumerate(labels) if label == cluster]
        if not members:
            continue
        chosen = _distinguishing(columns, members)
        words, features = [], []
        for effect, col in chosen:
            whole = statistics.fmean(col.data)
            mine = statistics.fmean(col.data[i] for i in members)
            if col.value is None:
                words.append(_say_number(col.feature, mine, whole))
            else:
                words.append(_say_category(col.feature, col.value, mine, whole))
            features.append(
                {
                    "feature": col.name,
                    "cluster": round(mine, 3),
                    "segment": round(whole, 3),
                    "effect": round(effect, 2),
                }
            )
        leaves = _conditions(contacts, chosen, members)
        item: dict[str, Any] = {
            "name": f"cluster-{cluster + 1}",
            "contacts": len(members),
            "share": round(len(members) / n, 3),
            "description": "; ".join(words),
            "features": features,
            "conditions": leaves,
        }
        if leaves:
            test = compile_condition({"all": leaves})
            inside = set(members)
            hits = [bool(test({"contact": c.as_dict()})) for c in contacts]
            item["conditions_match"] = {
                "cluster": sum(hits[i] for i in inside),
                "others": sum(h for i, h in enumerate(hits) if i not in inside),
            }
        if more is not None:
            item.update(more(cluster))
        out.append(item)
    out.sort(key=lambda c: -c["contacts"])
    return out


@dataclass
class Fit:
    k: int
    chosen_by: str
    silhouette: float
    silhouettes: dict[str, float]
    columns: list[Column]
    labels: list[int]


def fit(
    contacts: list[Contact],
    engagement: dict[str, dict[str, int]],
    now: float,
    k: int | None = None,
) -> Fit | str:
    """The k-means labels of ``contacts`` (see the module docstring), or why there are none."""
    n = len(contacts)
    if n < MIN_CONTACTS:
        return f"{n} contacts; clusters need at least {MIN_CONTACTS}"
    if k is not None and k * MIN_PER_CLUSTER > n:
        return f"{k} clusters need at least {k * MIN_PER_CLUSTER} contacts, have {n}"
    columns = feature_columns(contacts, engagement, now)
    if not columns:
        return "no contact feature varies across the segment"
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    matrix = weighted_matrix(columns)
    distinct = len(np.unique(matrix, axis=0))  # k-means cannot make more clusters than points
    if k is not None and k > distinct:
        return f"{k} clusters asked, but the contacts have only {distinct} distinct profiles"
    top = min(MAX_K, n // min_cluster(n), distinct)
    candidates = [k] if k is not None else list(range(2, top + 1))
    sample = matrix
    if n > FIT_SAMPLE:  # fitted on a fixed sample, then every contact given its nearest centre
        rows = np.random.default_rng(SEED).choice(n, size=FIT_SAMPLE, replace=False)
        sample = matrix[np.sort(rows)]
    smallest = min_cluster(n)
    scored: list[tuple[float, int, list[int]]] = []
    for kk in candidates:
        model = KMeans(n_clusters=kk, n_init=10, random_state=SEED).fit(sample)
        labels = model.predict(matrix) if sample is not matrix else model.labels_
        sizes = np.bincount(labels, minlength=kk)
        if (sizes > 0).sum() < 2 or (k is None and sizes.min() < smallest):
            continue
        score = silhouette_score(matrix, labels, sample_size=min(n, 2000), random_state=SEED)
        scored.append((float(score), kk, [int(x) for x in labels]))
    if not scored:
        if k is None and candidates:
            return (
                f"no k in 2..{candidates[-1]} gives clusters of at least {smallest} contacts "
                f"each ({MIN_SHARE:.0%} of the segment, at least {MIN_PER_CLUSTER})"
            )
        return "the contacts do not separate into clusters"
    score, best_k, labels = max(scored, key=lambda s: (s[0], -s[1]))
    return Fit(
        best_k,
        "given"
        if k is not None
        else f"silhouette over k = 2..{candidates[-1]}, clusters of {smallest}+ contacts",
        round(score, 3),
        {str(kk): round(s, 3) for s, kk, _ in scored},
        columns,
        labels,
    )


def cluster_contacts(
    contacts: list[Contact],
    engagement: dict[str, dict[str, int]],
    now: float,
    k: int | None = None,
    more: Callable[[Fit, int], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The clusters of ``contacts``, each described (plus what ``more(fit, label)`` adds), or
    ``skipped`` with the reason."""
    found = fit(contacts, engagement, now, k)
    if isinstance(found, str):
        return {"skipped": found, "clusters": []}
    return {
        "k": found.k,
        "chosen_by": found.chosen_by,
        "silhouette": found.silhouette,
        "silhouettes": found.silhouettes,
        "features": [c.name for c in found.columns],
        "clusters": describe(
            contacts,
            found.columns,
            found.labels,
            found.k,
            None if more is None else (lambda label: more(found, label)),
        ),
    }
