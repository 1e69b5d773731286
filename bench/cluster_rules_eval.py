"""How well a smart campaign's cluster rules select their clusters, on random planted segments
never looked at while the rules were written (``ai/cluster_rules.py``).

    python bench/cluster_rules_eval.py [--scenarios 30] [--first 0] [--json]

Each scenario (seeded by its number): 2-4 groups of 30-80 contacts; a group's city drawn from
five (two groups may share one), its budget mean from $200k-$1.5M (7 % spread), its score mean
from 20-90 (spread 6), its timeline from three (shared often); noise: a tenth of the contacts
with another city, a tenth without a budget. k-means chooses k by silhouette as in a campaign
("auto"), then again with k given as the number of groups ("given"); each cluster's rule is
then measured on the segment's contacts against the cluster (what the campaign reports) and
against the planted group most of the cluster comes from (meaningful when k = the groups).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from typing import Any

from leadflow.ai.cluster_rules import cluster_rule
from leadflow.ai.clusters import fit
from leadflow.definitions.conditions import compile_condition
from leadflow.model.records import Contact

NOW = 1_790_000_000.0
CITIES = ("Austin", "Dallas", "Houston", "San Antonio", "El Paso")
TIMELINES = ("0-3 months", "3-6 months", "6-12 months")


def scenario(seed: int) -> tuple[list[Contact], list[int]]:
    rng = random.Random(seed)
    groups = [
        (
            rng.choice(CITIES),
            rng.uniform(200_000, 1_500_000),
            rng.uniform(20, 90),
            rng.choice(TIMELINES),
            rng.randint(30, 80),
        )
        for _ in range(rng.randint(2, 4))
    ]
    contacts, labels = [], []
    for g, (city, budget, score, timeline, size) in enumerate(groups):
        for i in range(size):
            fields: dict[str, Any] = {
                "city": rng.choice(CITIES) if rng.random() < 0.1 else city,
                "score": round(rng.gauss(score, 6)),
                "timeline": timeline,
            }
            if rng.random() >= 0.1:
                fields["budget"] = round(rng.gauss(budget, budget * 0.07))
            contacts.append(Contact(id=f"s{seed}-{g}-{i}", fields=fields, created_at=NOW - 86400.0))
            labels.append(g)
    return contacts, labels


def _pr(selected: set[int], wanted: set[int]) -> tuple[float, float]:
    hits = len(selected & wanted)
    return (hits / len(selected) if selected else 0.0, hits / len(wanted) if wanted else 0.0)


def evaluate(seed: int, given: bool) -> dict[str, Any]:
    contacts, planted = scenario(seed)
    found = fit(contacts, {}, NOW, len(set(planted)) if given else None)
    if isinstance(found, str):
        return {"scenario": seed, "skipped": found}
    from sklearn.metrics import adjusted_rand_score

    scopes = [{"contact": c.as_dict()} for c in contacts]
    clusters = []
    for label in range(found.k):
        members = {i for i, x in enumerate(found.labels) if x == label}
        if not members:
            continue
        started = time.perf_counter()
        rule = cluster_rule(contacts, found.columns, found.labels, label)
        seconds = time.perf_counter() - started
        if isinstance(rule, str):
            clusters.append({"contacts": len(members), "rule": None, "reason": rule})
            continue
        test = compile_condition(rule.condition)
        selected = {i for i, s in enumerate(scopes) if test(s)}
        group = statistics.mode(planted[i] for i in members)
        p_group, r_group = _pr(selected, {i for i, g in enumerate(planted) if g == group})
        clusters.append(
            {
                "contacts": len(members),
                "depth": rule.depth,
                "precision": round(rule.precision, 3),
                "recall": round(rule.recall, 3),
                "precision_vs_group": round(p_group, 3),
                "recall_vs_group": round(r_group, 3),
                "seconds": round(seconds, 4),
            }
        )
    return {
        "scenario": seed,
        "groups": len(set(planted)),
        "k": found.k,
        "ari": round(float(adjusted_rand_score(planted, found.labels)), 3),
        "clusters": clusters,
    }


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    ruled = [c for r in results for c in r.get("clusters", []) if c.get("rule", True)]
    unruled = [c for r in results for c in r.get("clusters", []) if not c.get("rule", True)]
    aris = [r["ari"] for r in results if "ari" in r]

    def share(key_p: str, key_r: str) -> float:
        good = [c for c in ruled if c[key_p] >= 0.9 and c[key_r] >= 0.9]
        return round(len(good) / len(ruled), 3) if ruled else 0.0

    return {
        "scenarios": len(results),
        "k_equals_groups": sum(r.get("k") == r.get("groups") for r in results),
        "skipped": sum("skipped" in r for r in results),
        "median_ari": statistics.median(aris) if aris else None,
        "mean_ari": round(statistics.fmean(aris), 3) if aris else None,
        "clusters": len(ruled) + len(unruled),
        "clusters_under_10": sum(c["contacts"] < 10 for c in ruled + unruled),
        "without_rule": len(unruled),
        "p_and_r_at_least_0.9_vs_cluster": share("precision", "recall"),
        "p_and_r_at_least_0.9_vs_group": share("precision_vs_group", "recall_vs_group"),
        "median_precision": statistics.median(c["precision"] for c in ruled) if ruled else None,
        "median_recall": statistics.median(c["recall"] for c in ruled) if ruled else None,
        "min_f1": min(
            (2 * c["precision"] * c["recall"] / (c["precision"] + c["recall"] or 1)) for c in ruled
        )
        if ruled
        else None,
        "depths": {d: sum(c["depth"] == d for c in ruled) for d in (1, 2, 3)},
        "rule_seconds_max": max((c["seconds"] for c in ruled), default=None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=30)
    parser.add_argument("--first", type=int, default=0, help="the first scenario's seed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {}
    for mode in ("auto", "given"):
        results = [
            evaluate(seed, mode == "given")
            for seed in range(args.first, args.first + args.scenarios)
        ]
        report[mode] = {"summary": summary(results), "scenarios": results}
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        for mode, part in report.items():
            print(f"k {mode}:")
            for key, value in part["summary"].items():
                print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
