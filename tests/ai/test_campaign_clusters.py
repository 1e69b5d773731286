"""k-means clusters of a smart campaign's segments: on contacts planted in three groups (a
real SQLite store), k-means finds the groups (adjusted Rand index >= 0.9, k chosen by
silhouette), each cluster's words name the features it was planted with, and its conditions
select it; too few contacts are said so; another tenant's contacts never enter."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sklearn.metrics import adjusted_rand_score

from leadflow.ai.clusters import cluster_contacts, fit
from leadflow.model.records import Contact, ContactFilter, Scope
from leadflow.store import Store, open_store
from support.api_client import ApiClient, admin_key
from support.stores import upgraded_db

NOW = 1_790_000_000.0
DAY = 86400.0
# (source, city, budget mean, score mean, timeline): three kinds of lead
GROUPS = (
    ("Zillow", "Austin", 850_000, 82, "0-3 months"),
    ("realtor.com", "Dallas", 300_000, 35, "6-12 months"),
    ("referral", "Houston", 520_000, 58, "3-6 months"),
)


def planted(tenant: str, per_group: int = 40, seed: int = 3) -> tuple[list[Contact], list[int]]:
    """Contacts of three groups (a tenth with another group's source, as in life), and the
    group of each."""
    rng = random.Random(seed)
    contacts, labels = [], []
    for g, (source, city, budget, score, timeline) in enumerate(GROUPS):
        for i in range(per_group):
            source = GROUPS[(g + 1) % 3][0] if rng.random() < 0.1 else GROUPS[g][0]
            contacts.append(
                Contact(
                    id=f"{tenant}-{g}-{i:03d}",
                    first_name=f"P{i}",
                    state="TX",
                    fields={
                        "source": source,
                        "city": city,
                        "budget": round(rng.gauss(budget, budget * 0.06)),
                        "score": round(rng.gauss(score, 5)),
                        "timeline": timeline,
                    },
                    created_at=NOW - rng.uniform(5, 120) * DAY,
                    tenant_id=tenant,
                )
            )
            labels.append(g)
    return contacts, labels


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(upgraded_db(tmp_path / "clusters.db"))
    yield s
    s.close()


def _read(store: Store, tenant: str) -> list[Contact]:
    return store.find_contacts(ContactFilter(scope=Scope(tenant), limit=1000))


def test_kmeans_finds_the_planted_groups_and_names_their_features(store: Store) -> None:
    contacts, labels = planted("acme")
    store.upsert_contacts(contacts, NOW)
    read = _read(store, "acme")
    by_id = dict(zip((c.id for c in contacts), labels, strict=True))
    found = fit(read, {}, NOW)
    assert not isinstance(found, str)
    assert found.k == 3, found.silhouettes
    assert adjusted_rand_score([by_id[c.id] for c in read], found.labels) >= 0.9
    out = cluster_contacts(read, {}, NOW)
    assert out["k"] == 3 and out["chosen_by"].startswith("silhouette")
    words = {c["description"] for c in out["clusters"]}
    zillow = next(w for w in words if "zillow" in w or "austin" in w)
    assert "budget ~$8" in zillow or "score ~8" in zillow or "from zillow" in zillow, zillow
    # each cluster is said by its planted features, with numbers for the whole segment too
    joined = " | ".join(sorted(words))
    for planted_word in ("austin", "dallas", "houston"):
        assert planted_word in joined or any(
            g[0].lower() in joined for g in GROUPS if g[1].lower() == planted_word
        ), joined
    assert "(segment" in joined
    for cluster in out["clusters"]:
        assert cluster["contacts"] >= 30
        match = cluster["conditions_match"]  # the conditions select the cluster, not the rest
        assert match["cluster"] >= 0.8 * cluster["contacts"] and match["others"] <= 8, cluster


def test_a_given_k_and_too_few_contacts(store: Store) -> None:
    contacts, _ = planted("acme")
    store.upsert_contacts(contacts, NOW)
    read = _read(store, "acme")
    assert cluster_contacts(read, {}, NOW, k=2)["k"] == 2
    few = cluster_contacts(read[:12], {}, NOW)
    assert few["clusters"] == [] and "12 contacts" in few["skipped"]
    too_many = cluster_contacts(read, {}, NOW, k=6)
    assert too_many["k"] == 6  # 120 contacts allow six clusters of ten
    assert "need at least" in cluster_contacts(read[:40], {}, NOW, k=5)["skipped"]


def test_engagement_counts_are_features(store: Store) -> None:
    """Contacts alike in every field but their engagement: the repliers form their own cluster."""
    contacts = [
        Contact(id=f"c{i:03d}", fields={"source": "zillow"}, created_at=NOW - DAY, tenant_id="a")
        for i in range(60)
    ]
    engagement = {
        c.id: {"sent": 4, "opened": 3, "clicked": 1, "replied": 3 if i < 20 else 0}
        for i, c in enumerate(contacts)
    }
    out = cluster_contacts(contacts, engagement, NOW)
    said = [c["description"] for c in out["clusters"]]
    assert any("messages replied per contact" in w for w in said), said


CAMPAIGN = "/api/v1/automation/smart-campaign"


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, FastAPI]]:
    from leadflow.api.app import create_app
    from leadflow.settings import Settings

    for name in ("LEADFLOW_LLM_BASE_URL", "LEADFLOW_DB"):
        monkeypatch.delenv(name, raising=False)
    url = upgraded_db(tmp_path / "api.db")
    yield url, create_app(Settings(db=url))


def test_clusters_through_the_api_stay_inside_the_tenant(api: tuple[str, FastAPI]) -> None:
    url, app = api
    acme_key, zeta_key = admin_key(url, "acme"), admin_key(url, "zeta")
    store = open_store(url)
    try:
        store.upsert_contacts(planted("acme")[0], NOW)
        store.upsert_contacts(planted("zeta", per_group=4)[0], NOW)
    finally:
        store.close()
    body = {"goal": "book more showings", "audience": "", "simulate": False, "clusters": True}
    with ApiClient(app, headers={"Authorization": f"Bearer {acme_key}"}) as acme:
        out = acme.post(CAMPAIGN, json=body).json()
        (segment,) = out["segments"]
        assert segment["contacts"] == 120 and segment["clusters"]["k"] == 3
        assert sum(c["contacts"] for c in segment["clusters"]["clusters"]) == 120
        assert acme.post(CAMPAIGN, json={**body, "clusters": 3}).status_code == 200
        for bad in (1, 9, "many"):
            refused = acme.post(CAMPAIGN, json={**body, "clusters": bad})
            assert refused.status_code == 422 and "clusters" in refused.text, refused.text
        plain = acme.post(CAMPAIGN, json={**body, "clusters": False}).json()
        assert "clusters" not in plain["segments"][0]
    with ApiClient(app, headers={"Authorization": f"Bearer {zeta_key}"}) as zeta:
        theirs = zeta.post(CAMPAIGN, json=body).json()["segments"][0]
        assert theirs["contacts"] == 12
        assert theirs["clusters"] == {
            "skipped": "12 contacts; clusters need at least 30",
            "clusters": [],
        }


def test_above_the_fit_sample_every_contact_gets_its_nearest_centre(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import leadflow.ai.clusters as clusters

    contacts, labels = planted("acme")
    monkeypatch.setattr(clusters, "FIT_SAMPLE", 45)  # fitted on 45 of the 120
    found = fit(contacts, {}, NOW)
    assert not isinstance(found, str) and found.k == 3
    assert len(found.labels) == 120 and adjusted_rand_score(labels, found.labels) >= 0.9
