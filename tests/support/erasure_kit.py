"""A contact with personal data in every table that can hold it (written through the store's
own write paths), for the right-to-erasure tests; and a scan of every column of every table of
an SQL database for given strings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.model.automation import FiringEffects, RuleFiring, RuleSpec
from leadflow.model.compose import ComposeDraft
from leadflow.model.crm import CrmConnector, CrmSyncEntry, CrmSyncUpdate, NewCrmDelivery
from leadflow.model.deals import Deal
from leadflow.model.experiments import Assignment as ArmAssignment
from leadflow.model.experiments import Experiment
from leadflow.model.listings import ListingMatch
from leadflow.model.meta import MetaPage
from leadflow.model.orchestration import OrchBatch, OrchTask
from leadflow.model.playbooks import Appointment, Task
from leadflow.model.playbooks import Assignment as OwnerAssignment
from leadflow.model.records import Contact, Message, NewEvent
from leadflow.model.tenancy import Tenant
from leadflow.model.webhooks import NewDelivery, WebhookSubscription
from leadflow.store import Store
from support.records import T0, advance, enroll_one, step

FIRST, LAST = "Zenobia", "Quillfeather"
EMAIL, PHONE = "zenobia.quillfeather@example.org", "+14155550199"


@dataclass(frozen=True, slots=True)
class Person:
    tenant: str
    contact_id: str

    @property
    def needles(self) -> list[str]:
        """What must not be found anywhere once the contact is erased."""
        return [self.contact_id, EMAIL, PHONE, FIRST, LAST]


def tenants(store: Store, *ids: str) -> None:
    for tid in ids:
        store.create_tenant(Tenant(tid, f"{tid.title()} Realty"), T0)


def fill(store: Store, who: Person, now: float = T0) -> dict[str, Any]:
    """Give ``who`` data in every table that holds a contact's data; returns the ids made."""
    t, cid = who.tenant, who.contact_id
    store.upsert_contacts(
        [
            Contact(
                cid,
                first_name=FIRST,
                last_name=LAST,
                email=EMAIL,
                phone=PHONE,
                state="WA",
                tenant_id=t,
                tags=[f"{FIRST} VIP"],
                fields={"spouse": f"{FIRST} {LAST}", "alt_email": EMAIL},
                consent={"sms": "opted_in"},
            )
        ],
        now,
    )
    context = {"email": EMAIL, "greeting": f"Hi {FIRST}"}
    run = enroll_one(store, cid, f"wf-{t}", now=now, context=context)
    pending = Message(
        run_id=run.id,
        contact_id=cid,
        workflow_key=run.workflow_key,
        node="start",
        channel="sms",
        to=PHONE,
        idempotency_key=f"{run.id}:start:1:{cid}",
        due_at=now + 3600,
        created_at=now,
        subject=f"For {FIRST}",
        body=f"Hi {FIRST} {LAST}, we found homes for you",
        payload={"to_name": f"{FIRST} {LAST}"},
    )
    done = step(run, data={"to": EMAIL, "name": FIRST}, at=now, error=f"{PHONE} busy")
    result = store.commit_advances(
        "w", [advance(run, steps=[done], messages=[pending], context=context)], now
    )
    assert result.applied == 1
    store.sandbox_deliver(pending.idempotency_key, "sms", PHONE, pending.body, f"sb-{cid}", now)
    (event_id,) = store.append_events(
        [NewEvent("listing.viewed", cid, {"email": EMAIL, "by": FIRST}, f"lv:{cid}:{EMAIL}", now)],
        now,
    )
    assert event_id is not None
    sub = f"wh_{t}"
    store.create_subscription(
        WebhookSubscription(sub, t, "https://hooks.example.com/x", ["*"], "s3cret"), now
    )
    payload = {"contact": {"id": cid, "email": EMAIL, "name": f"{FIRST} {LAST}"}}
    store.enqueue_deliveries([NewDelivery(sub, t, event_id, "listing.viewed", payload)], now)
    store.create_task(
        Task(t, cid, "a1", f"Call {FIRST} {LAST}", now + 3600, f"task:{cid}", body=PHONE)
    )
    store.book_appointment(Appointment(t, "a1", cid, now + 7200, now + 9000, created_at=now))
    store.save_deals([Deal(t, f"D-{t}", "buy", 500_000, "2026-01-01", now, contact_id=cid)], now)
    store.record_listing_matches([ListingMatch(t, cid, "L1", 87.5, f"match:{cid}", now)])
    store.save_experiment(
        Experiment(
            tenant_id=t,
            key="split",
            workflow_key=run.workflow_key,
            node_id="pick",
            config={"arms": ["sms", "email"]},
            weights={"sms": 0.5, "email": 0.5},
            created_at=now,
            updated_at=now,
            next_review_at=now + 86400,
        ),
        None,
    )
    store.assign_arm(ArmAssignment(t, "split", cid, "sms", now, run_id=run.id))
    store.record_assignment(
        OwnerAssignment(t, cid, "a1", "round_robin", f"{FIRST} asked for WA", f"own:{cid}", now)
    )
    store.keep_compose_draft(
        ComposeDraft(t, f"compose:{cid}", cid, "start", "sms", f"Hi {FIRST}!", "model", now)
    )
    store.put_crm_connector(CrmConnector(t, "fub", {"api_key": "k"}), now)
    store.begin_crm_delivery(
        NewCrmDelivery(t, "fub", "add_note", f"note:{cid}", cid, {"email": EMAIL}), now
    )
    store.link_crm_contact(t, "fub", cid, f"fub-{cid}")
    entry = CrmSyncEntry(t, "fub", cid, "email", EMAIL, EMAIL, "local", now, now, now)
    agreed = {"email": EMAIL, "first_name": FIRST}
    store.save_crm_sync(CrmSyncUpdate(t, "fub", cid, agreed, [entry]), now)
    store.save_meta_page(MetaPage(f"page-{t}", t, None, "tok"), now)
    store.link_messenger(t, f"page-{t}", f"psid-{cid}", cid, now)
    batch = f"batch-{t}"
    store.create_orch_batch(
        OrchBatch(batch, t, now, "compose"),
        [OrchTask(batch, "t1", t, "compose", {"contact_id": cid, "brief": "x"}, created_at=now)],
    )
    rule = store.create_rule(
        t, RuleSpec("tag viewers", "listing.viewed", [{"kind": "add_tag", "tag": "x"}]), True, now
    )
    planned = [{"kind": "update_contact", "fields": {"alt_email": EMAIL}, "contact_id": cid}]
    firing = RuleFiring(t, rule.id, rule.version, event_id, cid, planned, "applied", now)
    assert store.record_firing(firing, FiringEffects(), now)
    return {"run_id": run.id, "event_id": event_id}


def scan(rows_by_table: dict[str, list[tuple[Any, ...]]], needles: list[str]) -> set[str]:
    """``table: row`` for every row of which a column holds one of ``needles``."""
    hits = set()
    for table, rows in rows_by_table.items():
        for row in rows:
            texts = [
                v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                for v in row
                if v is not None
            ]
            if any(n.lower() in t.lower() for t in texts for n in needles):
                hits.add(f"{table}: {row!r}")
    return hits


def all_rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of an SQL store's database, read over a connection of its own."""
    url = store.url
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            names = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            return {n: conn.execute(f'SELECT * FROM "{n}"').fetchall() for n in names}
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as pg:
        names = [
            r[0]
            for r in pg.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        return {n: pg.execute(f'SELECT * FROM "{n}"').fetchall() for n in names}


def memory_strings(store: Store) -> list[str]:
    """Every string reachable from the memory store's state (keys, values, record fields)."""
    import dataclasses

    out: list[str] = []
    seen: set[int] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
            return
        if value is None or isinstance(value, (int, float, bytes)):
            return
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for v in value:
                walk(v)
        elif dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))

    walk({k: v for k, v in vars(store).items() if not callable(v)})
    return out


__all__ = [
    "EMAIL",
    "FIRST",
    "LAST",
    "PHONE",
    "Person",
    "all_rows",
    "fill",
    "memory_strings",
    "scan",
    "tenants",
]
