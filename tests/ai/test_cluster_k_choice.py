"""Choosing k: on segments planted in 2, 3 and 4 groups, each with the noise of life (a tenth of
the contacts with a stray city from five, a tenth without a budget, contacts of any age), k
chosen automatically is the number of groups, no cluster is a handful of strays, and the
clusters are the groups (adjusted Rand index >= 0.9). Standardising each city's 0/1 column on its
own made the few strays of a city clusters of their own (k never matched the groups)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sklearn.metrics import adjusted_rand_score

from leadflow.ai.clusters import fit, min_cluster
from leadflow.model.records import Contact

NOW = 1_790_000_000.0
DAY = 86400.0
CITIES = ("Austin", "Dallas", "Houston", "San Antonio", "El Paso")
# (city, budget mean, score mean, timeline)
KINDS = (
    ("Austin", 900_000, 80, "0-3 months"),
    ("Dallas", 300_000, 40, "6-12 months"),
    ("Houston", 550_000, 60, "3-6 months"),
    ("San Antonio", 1_300_000, 25, "0-3 months"),
)


def noisy_segment(groups: int, seed: int) -> tuple[list[Contact], list[int]]:
    rng = random.Random(seed)
    contacts, labels = [], []
    for g, (city, budget, score, timeline) in enumerate(KINDS[:groups]):
        for i in range(rng.randint(35, 60)):
            fields: dict[str, Any] = {
                "city": rng.choice(CITIES) if rng.random() < 0.1 else city,
                "score": round(rng.gauss(score, 6)),
                "timeline": timeline,
            }
            if rng.random() >= 0.1:
                fields["budget"] = round(rng.gauss(budget, budget * 0.07))
            created = NOW - rng.uniform(1, 200) * DAY
            contacts.append(Contact(id=f"c{g}-{i}", fields=fields, created_at=created))
            labels.append(g)
    return contacts, labels


@pytest.mark.parametrize("groups", [2, 3, 4])
@pytest.mark.parametrize("seed", [1, 2])
def test_auto_k_finds_the_planted_groups_despite_stray_cities(groups: int, seed: int) -> None:
    contacts, planted = noisy_segment(groups, seed)
    found = fit(contacts, {}, NOW)
    assert not isinstance(found, str), found
    assert found.k == groups, found.silhouettes
    sizes = [found.labels.count(label) for label in range(found.k)]
    assert min(sizes) >= min_cluster(len(contacts)) >= 10, sizes
    assert adjusted_rand_score(planted, found.labels) >= 0.9
    assert found.chosen_by.startswith("silhouette")


def test_a_given_k_is_not_held_to_the_smallest_cluster() -> None:
    """k given: the clusters k-means makes, even small ones (the user asked for that k)."""
    contacts, _ = noisy_segment(2, 1)
    found = fit(contacts, {}, NOW, k=6)
    assert not isinstance(found, str), found
    assert found.k == 6 and found.chosen_by == "given"
