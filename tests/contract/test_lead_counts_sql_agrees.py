"""Speed to lead counted by the database (``lead_counts`` on SQLite and PostgreSQL) equals what
Python counts from the rows (:func:`leadflow.store.lead_facts.count_leads`, the memory
backend's answer), on a random history with the awkward cases on purpose: several
``lead.created`` events of a contact, some before the epoch, none at all (the lead's time is
then the contact's), messages sent before the lead, exactly at it or never, touches of every
kind and of none, appointments at the range's edges, rows without a contact or with an empty
one, a contact whose id is empty, owners outside the selection, a second tenant."""

from __future__ import annotations

import random

import pytest

from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from leadflow.store.lead_facts import LeadEvents, LeadSelection, count_leads
from support.stores import insert_rows

DAY = 86400.0
START = 1_767_571_200.0
KINDS = LeadEvents(
    "lead.created", ("call.completed", "call.logged", "task.completed", "agent.touched"),
    "appointment.booked",
)  # fmt: skip
OTHER = ["page.viewed", "sms.received"]
OWNERS = ["a1", "a2", "a3", "ghost", None]
CONTACT_COLS = ("id", "owner", "created_at", "updated_at", "tenant_id")
MESSAGE_COLS = ("contact_id", "channel", "idempotency_key", "due_at", "created_at", "status",
                "sent_at")  # fmt: skip
EVENT_COLS = ("type", "contact_id", "data", "dedupe_key", "occurred_at", "created_at")


def _history(store: Store, seed: int) -> list[float]:
    """Random rows; returns some times the ranges should start or end at exactly."""
    rng = random.Random(seed)
    for tenant in ("acme", "zeta"):
        store.create_tenant(Tenant(tenant, tenant.title()), START)
    contacts, messages, events = [], [], []
    edges: list[float] = []
    for i in range(120):
        cid = "" if i == 0 else f"c{i:03d}"
        tenant = "zeta" if i >= 105 else "acme"
        created = START + rng.randrange(0, 40) * DAY + rng.choice([0.0, rng.uniform(0, DAY)])
        contacts.append((cid, rng.choice(OWNERS), created, created, tenant))
        edges.append(created)
        leads = [
            rng.choice([created, created + 30, created - 60, -5.0 * DAY, created + DAY])
            for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))
        ]
        t0 = min(leads) if leads else created
        edges.append(t0)
        for k, at in enumerate(leads):
            events.append(("lead.created", cid, "{}", f"l{i}-{k}", at, at))
        for k in range(rng.randrange(0, 4)):
            at = rng.choice([t0, t0 - 120, t0 + rng.uniform(0, 3 * DAY), t0 + 7.25])
            sent = rng.choice([at, None, at + 1.5])
            status = "pending" if sent is None else rng.choice(["sent", "delivered"])
            messages.append((cid, "sms", f"m{i}-{k}", at, at, status, sent))
        for k in range(rng.randrange(0, 6)):
            kind = rng.choice([*KINDS.touches, KINDS.appointment, KINDS.appointment, *OTHER])
            at = rng.choice(
                [t0, t0 - 600, t0 + rng.uniform(0, 5 * DAY), -DAY, START + rng.randrange(40) * DAY]
            )
            events.append((kind, cid, "{}", f"e{i}-{k}", at, at))
    for k in range(5):  # rows without a contact, or with an empty one
        contact = None if k % 2 else ""
        events.append(("call.completed", contact, "{}", f"x{k}", START + k, START))
        messages.append((contact, "sms", f"x{k}", START, START, "sent", START + k))
    insert_rows(store, "contacts", CONTACT_COLS, contacts)
    insert_rows(store, "messages", MESSAGE_COLS, messages)
    insert_rows(store, "events", EVENT_COLS, events)
    return sorted(edges)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lead_counts_equal_the_rows(sql_store: Store, seed: int) -> None:
    edges = _history(sql_store, seed)
    rng = random.Random(seed)
    picks = [rng.choice(edges) for _ in range(4)]
    ids = frozenset(f"c{i:03d}" for i in range(1, 120, 3)) | {""}
    selections = [
        LeadSelection("acme", frozenset({"a1", "a2", "a3"})),
        LeadSelection("acme", frozenset({"a1", "a2", "a3", "ghost"}), picks[0], None),
        LeadSelection("acme", frozenset({"a2"}), None, picks[1]),
        LeadSelection("acme", frozenset({"a1", "a3"}), min(picks[2:]), max(picks[2:])),
        LeadSelection("acme", frozenset({"a1", "a2"}), contact_ids=ids),
        LeadSelection("acme", frozenset({"a1", "a2", "a3"}), picks[0], None, frozenset()),
        LeadSelection("zeta", frozenset({"a1", "a2", "a3", "ghost"})),
        LeadSelection("acme", frozenset()),
        LeadSelection("nobody", frozenset({"a1"})),
    ]
    for sel in selections:
        got = sql_store.lead_counts(sel, KINDS)
        want = count_leads(sql_store, sel, KINDS)
        assert got == want, sel
    everyone = sql_store.lead_counts(selections[0], KINDS)
    assert sum(everyone.leads.values()) > 0
    assert everyone.to_auto and everyone.to_human and everyone.appointments
