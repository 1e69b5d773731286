"""Random sequences of operations give the same answers and the same state on every backend."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leadflow.errors import LeadflowError
from leadflow.model.records import (
    Advance,
    Contact,
    ContactPatch,
    EnrollRequest,
    Message,
    MessageFacts,
    MessageFilter,
    MessageUpdate,
    NewEvent,
    RunFilter,
    Step,
)
from leadflow.store import Store
from support.records import T0
from support.stores import drop_store, make_store, usable_backends

CONTACTS = [f"c{i}" for i in range(6)]
KEYS = ["wf", "other"]
STATUSES = ["active", "waiting", "waiting", "paused", "completed", "exited", "failed"]
EVENT_TYPES = ["sms.received", "email.received", "sms.delivered", "form.submitted"]
MSG_STATUSES = ["pending", "deferred", "sent", "delivered", "failed", "suppressed"]


def state(store: Store) -> dict[str, Any]:
    return {
        "contacts": store.list_contacts(),
        "runs": store.list_runs(RunFilter(limit=10_000)),
        "counts": store.count_runs(),
        "steps": store.all_steps(),
        "messages": store.list_messages(MessageFilter(limit=10_000)),
        "events": store.list_events(limit=10_000),
        "pending": store.pending_events_count(),
        "next": store.next_due_at(),
        "nodes": [store.node_counts(k) for k in KEYS],
        "sandbox": store.sandbox_deliveries(),
        "workflows": store.list_workflows(),
        "by_contact": store.runs_of_contacts([*CONTACTS, "ghost"]),
        "open_by_contact": store.runs_of_contacts(CONTACTS, ["active", "waiting", "paused"]),
        "sent": store.sent_counts_since([*CONTACTS, "ghost"], T0),
        "sent_sms_late": store.sent_counts_since(CONTACTS, T0 + 500, ["sms"]),
        "per_key": [store.list_runs(RunFilter(workflow_key=k, limit=10_000)) for k in KEYS],
        "counts_per_key": [store.count_runs(k) for k in KEYS],
    }


class Driver:
    """Makes one random operation at a time; each is run on every store with its own copy of
    the arguments."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = T0
        self.n = 0

    def key(self, prefix: str, pool: int) -> str:
        return f"{prefix}{self.rng.randrange(pool)}"

    def contact(self) -> Contact:
        r = self.rng
        return Contact(
            r.choice(CONTACTS),
            first_name=r.choice([None, "Ann", "Bob"]),
            tags=r.sample(["a", "b", "c"], r.randrange(3)),
            fields={"n": r.randrange(5)},
        )

    def enroll_request(self) -> EnrollRequest:
        r = self.rng
        return EnrollRequest(
            r.choice(KEYS),
            r.choice([1, 2]),
            r.choice([*CONTACTS, "ghost"]),
            "start",
            {"i": r.randrange(9)},
            reentry=r.choice(["never", "after", "always"]),
            reentry_days=r.choice([None, 0, 1]),
        )

    def new_event(self) -> NewEvent:
        r = self.rng
        return NewEvent(
            r.choice(EVENT_TYPES),
            r.choice([*CONTACTS, None]),
            {"v": r.randrange(3)},
            self.key("ev", 30),
            self.now + r.choice([-10, 0, 0, 50]),
        )

    def message(self, run_id: int, contact_id: str, workflow_key: str) -> Message:
        r = self.rng
        return Message(
            run_id,
            contact_id,
            workflow_key,
            r.choice(["s1", "s2"]),
            r.choice(["sms", "email"]),
            "+1555",
            self.key("m", 25),
            self.now + r.choice([0, 0, 30, 300]),
            self.now,
            body="b",
        )

    def advance_for(self, run: Any) -> Advance:
        r = self.rng
        status = r.choice(STATUSES)
        seq = run.seq if r.random() < 0.85 else run.seq - 1  # sometimes stale
        adv = Advance(
            run.id,
            seq,
            r.choice(["start", "s1", "s2", "wait"]),
            status,
            self.now + r.choice([0, 20, 200]) if r.random() < 0.9 else None,
            {"k": r.randrange(4)},
            run.step_seq + 1,
        )
        for _ in range(r.randrange(3)):
            adv.steps.append(
                Step(
                    run.id, r.choice(["s1", "s2"]), "send_sms", run.step_seq + 1, 0, "ok", self.now
                )
            )
        for _ in range(r.randrange(3)):
            adv.messages.append(self.message(run.id, run.contact_id, run.workflow_key))
        if r.random() < 0.3:
            adv.contact_patches.append(
                ContactPatch(
                    r.choice(CONTACTS),
                    set={"stage": r.choice(["hot", "cold"]), "x": r.randrange(3)},
                    add_tags=["p"],
                    remove_tags=["a"],
                    consent={"sms": "opted_out"},
                )
            )
        if r.random() < 0.3:
            adv.enrollments.append(self.enroll_request())
        if r.random() < 0.3:
            adv.events.append(self.new_event())
        return adv

    def operation(self, probe: Store) -> tuple[str, Callable[[Store], Any]]:
        """A random operation; ``probe`` (one of the stores) may be read to pick sensible ids."""
        r = self.rng
        self.n += 1
        self.now += r.choice([0, 1, 10, 60, 400])
        now = self.now
        owner = f"w{r.randrange(3)}"
        kind = r.choice(
            [
                "upsert", "enroll", "enroll_all", "claim_commit", "claim_commit", "stale",
                "events", "complete", "complete", "messages", "facts", "patch", "sandbox",
                "sandbox_many", "release", "publish",
            ]
        )  # fmt: skip
        if kind == "upsert":
            cs = [self.contact() for _ in range(r.randrange(1, 4))]
            return kind, lambda s: s.upsert_contacts(copy.deepcopy(cs), now)
        if kind == "enroll":
            reqs = [self.enroll_request() for _ in range(r.randrange(1, 5))]
            return kind, lambda s: s.enroll(copy.deepcopy(reqs), now)
        if kind == "enroll_all":
            args = (r.choice(KEYS), 1, "start", now, r.choice(["never", "after", "always"]), 1)
            return kind, lambda s: s.enroll_all(*args)
        if kind in ("claim_commit", "stale"):
            limit, lease = r.randrange(0, 5), r.choice([5, 60])
            runs = probe.list_runs(RunFilter(limit=10_000))
            plan = [self.advance_for(run) for run in r.sample(runs, min(len(runs), 3))]

            def claim_commit(s: Store) -> Any:
                claimed = s.claim_runs(owner, now, limit, lease)
                mine = {c.run.id for c in claimed}
                advances = [a for a in copy.deepcopy(plan) if kind == "stale" or a.run_id in mine]
                result = s.commit_advances(owner, advances, now)
                ids = [[m.id for m in a.messages] + [x.id for x in a.steps] for a in advances]
                return claimed, result, ids

            return kind, claim_commit
        if kind == "events":
            evs = [self.new_event() for _ in range(r.randrange(1, 4))]
            return kind, lambda s: s.append_events(copy.deepcopy(evs), now)
        if kind == "complete":
            runs = probe.list_runs(RunFilter(limit=10_000))
            plan = [self.advance_for(run) for run in r.sample(runs, min(len(runs), 3))]
            for a in plan[1:]:
                if r.random() < 0.3:  # builds on an advance before it in the batch
                    a.run_id, a.seq = plan[0].run_id, plan[0].seq + 1
            reqs = [self.enroll_request() for _ in range(r.randrange(3))]
            # which claimed event (by position) each advance / enrollment belongs to, if any
            adv_events = [r.choice([None, 0, 0, 1, 2]) for _ in plan]
            req_events = [r.choice([None, 0, 1, 2]) for _ in reqs]
            facts = [
                MessageFacts(r.randrange(1, 30), status=r.choice([None, *MSG_STATUSES]))
                for _ in range(r.randrange(3))
            ]

            climit = r.randrange(1, 5)

            def complete(s: Store) -> Any:
                claimed = s.claim_events(owner, now, climit, 30)
                advances = copy.deepcopy(plan)
                enrollments = copy.deepcopy(reqs)
                for a, j in zip(advances, adv_events, strict=True):
                    if claimed and j is not None:
                        a.event_id = claimed[j % len(claimed)].id
                for q, j in zip(enrollments, req_events, strict=True):
                    if claimed and j is not None:
                        q.event_id = claimed[j % len(claimed)].id
                result = s.complete_events(
                    owner, [e.id for e in claimed], advances, enrollments, facts, now
                )
                ids = [[m.id for m in a.messages] + [x.id for x in a.steps] for a in advances]
                return claimed, result, ids

            return kind, complete
        if kind == "messages":
            limit = r.randrange(0, 5)
            # None: no verdict (the dispatcher died): the message stays sending, in doubt
            verdicts = [r.choice([*MSG_STATUSES, None]) for _ in range(5)]
            reasons = [r.choice([None, "quiet_hours"]) for _ in range(5)]
            evs = [self.new_event() for _ in range(r.randrange(2))]

            def messages(s: Store) -> Any:
                claimed = s.claim_messages(owner, now, limit, 30)
                updates = [
                    MessageUpdate(
                        c.message.id or 0,
                        v,
                        due_at=now + 50 if v in ("pending", "deferred") else None,
                        attempts=c.message.attempts + 1,
                        sent_at=now if v in ("sent", "delivered") else None,
                        suppressed_reason=why,
                    )
                    for c, v, why in zip(claimed, verdicts, reasons, strict=False)
                    if v is not None
                ]
                s.update_messages(owner, updates, copy.deepcopy(evs), now)
                return claimed

            return kind, messages
        if kind == "facts":
            facts = [
                MessageFacts(
                    r.randrange(1, 30),
                    status=r.choice([None, *MSG_STATUSES]),
                    delivered_at=r.choice([None, now]),
                    replied_at=r.choice([None, now]),
                    error=r.choice([None, "e"]),
                )
                for _ in range(r.randrange(1, 4))
            ]
            return kind, lambda s: s.apply_message_facts(facts, now)
        if kind == "patch":
            patches = [
                ContactPatch(r.choice([*CONTACTS, "ghost"]), set={"stage": "s", "f": now})
                for _ in range(r.randrange(1, 3))
            ]
            return kind, lambda s: s.apply_contact_patches(copy.deepcopy(patches), now)
        if kind == "sandbox":
            key = self.key("m", 25)
            return kind, lambda s: s.sandbox_deliver(key, "sms", "+1", "b", f"p{now}", now)
        if kind == "sandbox_many":
            items = [
                (self.key("m", 25), r.choice(["sms", "email"]), "+1", "b", f"p{now}-{i}")
                for i in range(r.randrange(0, 5))
            ]
            return kind, lambda s: s.sandbox_deliver_many(items, now)
        if kind == "release":
            ids = [r.randrange(1, 20) for _ in range(3)]
            return kind, lambda s: s.release_runs(owner, ids)
        definition = {"v": r.randrange(3)}
        return kind, lambda s: s.publish_workflow("wf", "Workflow", definition, now)


@pytest.mark.parametrize("seed", range(25))
def test_backends_agree(seed: int, tmp_path: Path) -> None:
    backends = usable_backends()
    for b in backends:
        (tmp_path / b).mkdir()
    stores = [make_store(b, tmp_path / b) for b in backends]
    driver = Driver(random.Random(seed))
    try:
        for _ in range(80):
            name, op = driver.operation(stores[0])
            outcomes = []
            for s in stores:
                try:
                    outcomes.append(("ok", op(s)))
                except LeadflowError as exc:
                    outcomes.append(("error", type(exc).__name__))
            expected = state(stores[0])
            for b, outcome, s in zip(backends[1:], outcomes[1:], stores[1:], strict=True):
                assert outcomes[0] == outcome, (seed, driver.n, name, b)
                assert expected == state(s), (seed, driver.n, name, b)
    finally:
        for b, s in zip(backends, stores, strict=True):
            drop_store(b, s)
