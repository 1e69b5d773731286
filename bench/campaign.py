"""A smart campaign on a tenant with many contacts and a message history: how long the draft takes
with k-means clusters and the tenant's own rates, and whether the clusters find the planted
groups.

    python bench/campaign.py [--contacts 3000] [--texts 5000] [--json]

A SQLite store in a temporary directory; tenant "acme" gets ``--contacts`` contacts in three
planted groups (source, city, budget, score, timeline; a tenth with another group's source) and
``--texts`` delivered texts over them (4 % answered, bookings after 1 % of them); tenant "zeta"
gets the same number of contacts with a different history (never read by acme's campaign).
Reports the wall time of the campaign (the contacts' scan, the history, the clusters, their
rules, the simulation of the segment's draft and of each cluster's draft), the time of the
clusters' rules alone (refitted after the campaign), the adjusted Rand index of the clusters
against the planted groups, each cluster's words, rule (precision, recall on the segment) and
draft, and the rates the prediction used.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from leadflow.access.campaigns import smart_campaign
from leadflow.access.scope import operator
from leadflow.ai.cluster_rules import cluster_rule
from leadflow.ai.clusters import fit
from leadflow.model.records import Contact, ContactFilter, Message, MessageFacts, NewEvent, Scope
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store import Store, open_store

NOW = 1_790_000_000.0
GROUPS = (
    ("Zillow", "Austin", 850_000, 82, "0-3 months"),
    ("realtor.com", "Dallas", 300_000, 35, "6-12 months"),
    ("referral", "Houston", 520_000, 58, "3-6 months"),
)


def plant(store: Store, tenant: str, contacts: int, texts: int, reply: float) -> dict[str, int]:
    rng = random.Random(tenant)
    people, labels = [], {}
    for i in range(contacts):
        g = i % 3
        source = GROUPS[(g + 1) % 3][0] if rng.random() < 0.1 else GROUPS[g][0]
        _, city, budget, score, timeline = GROUPS[g]
        cid = f"{tenant}-{i:06d}"
        labels[cid] = g
        people.append(
            Contact(
                id=cid,
                phone=f"+1512{i:07d}",
                fields={
                    "source": source,
                    "city": city,
                    "budget": round(rng.gauss(budget, budget * 0.06)),
                    "score": round(rng.gauss(score, 5)),
                    "timeline": timeline,
                },
                created_at=NOW - rng.uniform(5, 120) * 86400,
                tenant_id=tenant,
            )
        )
    store.upsert_contacts(people, NOW)
    msgs = [
        Message(
            run_id=None,
            contact_id=people[i % contacts].id,
            workflow_key=None,
            node=None,
            channel="sms",
            to=people[i % contacts].phone,
            idempotency_key=f"{tenant}-t{i}",
            due_at=NOW - 40 * 86400 + i,
            created_at=NOW - 40 * 86400,
        )
        for i in range(texts)
    ]
    ids = store.queue_messages(msgs, NOW)
    facts = [
        MessageFacts(
            mid,
            status="delivered",
            replied_at=(m.due_at + 600) if rng.random() < reply else None,
        )
        for m, mid in zip(msgs, ids, strict=True)
        if mid is not None
    ]
    store.apply_message_facts(facts, NOW)
    booked = [
        NewEvent("appointment.booked", m.contact_id, {}, f"{tenant}-b{i}", m.due_at + 86400, True)
        for i, m in enumerate(msgs)
        if i % 100 == 0
    ]
    store.append_events(booked, NOW)
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from sklearn.metrics import adjusted_rand_score

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'campaign.db'}"
        store = open_store(url, check_schema=False)
        store.upgrade()
        started = time.perf_counter()
        labels = plant(store, "acme", args.contacts, args.texts, 0.04)
        plant(store, "zeta", args.contacts, args.texts, 0.5)
        planted_s = time.perf_counter() - started
        store.close()
        rt = build_runtime(Settings(db=url, llm_base_url=None))
        try:
            started = time.perf_counter()
            out = smart_campaign(
                rt,
                operator("acme"),
                "book more showings",
                "",
                ["sms", "email"],
                None,
                None,
                None,
                clusters=True,
                now=NOW,
            )
            campaign_s = time.perf_counter() - started
            contacts = rt.store.find_contacts(
                ContactFilter(scope=Scope("acme"), limit=args.contacts)
            )
        finally:
            rt.close()
    found = fit(contacts, {}, NOW)
    rules_s = None
    if not isinstance(found, str):
        started = time.perf_counter()
        for label in range(found.k):
            cluster_rule(contacts, found.columns, found.labels, label)
        rules_s = time.perf_counter() - started
    ari = (
        adjusted_rand_score([labels[c.id] for c in contacts], found.labels)
        if not isinstance(found, str)
        else None
    )
    (segment,) = out["segments"]
    pred = segment["prediction"]
    report: dict[str, Any] = {
        "contacts": args.contacts,
        "texts": args.texts,
        "planting_seconds": round(planted_s, 2),
        "campaign_seconds": round(campaign_s, 2),
        "rules_seconds": round(rules_s, 3) if rules_s is not None else None,
        "k": segment["clusters"].get("k"),
        "silhouettes": segment["clusters"].get("silhouettes"),
        "adjusted_rand_index": round(ari, 4) if ari is not None else None,
        "clusters": [
            {
                "contacts": c["contacts"],
                "description": c["description"],
                "rule": c["rule"].get("said") or c["rule"].get("reason"),
                "precision": c["rule"].get("precision"),
                "recall": c["rule"].get("recall"),
                "draft": None
                if c["segment"] is None
                else {
                    "channels": c["segment"]["channels"],
                    "valid": c["segment"]["validation"]["valid"],
                    "replies": (c["segment"]["prediction"] or {}).get("replies"),
                },
            }
            for c in segment["clusters"]["clusters"]
        ],
        "rates": {m: pred[m]["rates"] for m in ("replies", "appointments", "opt_outs")},
        "replies": pred["replies"],
    }
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print(
            f"{args.contacts} contacts, {args.texts} texts: campaign {campaign_s:.2f} s, "
            f"k={report['k']}, ARI {report['adjusted_rand_index']}, "
            f"rules {report['rules_seconds']} s"
        )
        for c in report["clusters"]:
            print(f"  {c['contacts']}: {c['description']}")
            print(f"    when {c['rule']} (precision {c['precision']}, recall {c['recall']})")
        print("  sms replies:", pred["replies"]["rates"]["sms"]["basis"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
