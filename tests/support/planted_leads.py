"""Contacts planted in groups for the smart campaign's cluster tests: one field is not enough
to tell ACME's first group (Austin, high budget) from the others."""

from __future__ import annotations

import random

from leadflow.model.records import Contact

NOW = 1_790_000_000.0
DAY = 86400.0
# (city, budget mean, score mean, timeline)
ACME = (
    ("Austin", 900_000, 80, "0-3 months"),
    ("Austin", 350_000, 45, "6-12 months"),
    ("Dallas", 880_000, 78, "0-3 months"),
)
ZETA = (("Miami", 1_200_000, 70, "0-3 months"), ("Tampa", 250_000, 40, "3-6 months"))


def planted(
    tenant: str, groups: tuple[tuple[str, int, int, str], ...], per_group: int = 40, seed: int = 5
) -> tuple[list[Contact], list[int]]:
    rng = random.Random(seed)
    contacts, labels = [], []
    for g, (city, budget, score, timeline) in enumerate(groups):
        for i in range(per_group):
            contacts.append(
                Contact(
                    id=f"{tenant}-{g}-{i:03d}",
                    first_name=f"P{i}",
                    state="TX",
                    fields={
                        "city": city,
                        "budget": round(rng.gauss(budget, budget * 0.07)),
                        "score": round(rng.gauss(score, 6)),
                        "timeline": timeline,
                        "lead_type": "buyer",
                    },
                    created_at=NOW - rng.uniform(5, 120) * DAY,
                    tenant_id=tenant,
                )
            )
            labels.append(g)
    return contacts, labels
