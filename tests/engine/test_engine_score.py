"""Lead scores on the real worker: recomputed as events are processed, decayed on the virtual
clock, per tenant, with exactly one ``lead.score_changed`` per band crossing."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.model.records import ContactFilter, ContactPatch, Event
from leadflow.scoring.config import make_config, save_config
from leadflow.scoring.probability import Probabilities
from leadflow.scoring.recompute import SCORE_CHANGED, rescore_for_events
from leadflow.scoring.synthetic import seed_history
from leadflow.scoring.training import retrain_tenant
from leadflow.store.factory import open_store
from support.engine_kit import DAY, Kit
from support.stores import upgraded_db

# Full demographics: 100 demographic points, 30 score points under the default weights.
READY = {"budget": 550000, "timeline": "0-3 months", "pre_approved": True, "location_fit": 1}

HOT_LEADS = """
key: hot-leads
name: Call hot leads
triggers:
  - type: event
    event: lead.score_changed
    filter: {field: event.data.new_band, op: eq, value: hot}
start: a
nodes:
  - {id: a, kind: send_sms, body: "Agent alert: {{ contact.first_name }} is {{ event.data.new }}"}
"""


def _crossings(kit: Kit, cid: str) -> list[Event]:
    return kit.store.list_events(cid, type=SCORE_CHANGED)


def _save(kit: Kit, cid: str, n: int = 1) -> None:
    for _ in range(n):
        kit.emit("listing.saved", cid, {"ListingKey": "L1"})


def test_processed_events_set_the_score_on_the_contact(kit: Kit) -> None:
    kit.add_contact("ann")
    _save(kit, "ann", 3)
    kit.emit("email.opened", "ann", {"message_id": 999})
    kit.settle()
    fields = kit.contact("ann").fields
    # 3 saves x 8 x 0.4 + 1 open x 5 x 0.3
    assert fields["score"] == pytest.approx(9.6 + 1.5)
    assert fields["score_band"] == "cold"
    assert fields["score_at"] == kit.now
    assert _crossings(kit, "ann") == []  # a first score in the lowest band is no crossing


def test_the_score_decays_with_the_half_life_on_the_virtual_clock(kit: Kit) -> None:
    kit.add_contact("ann")
    _save(kit, "ann", 4)
    kit.settle()
    assert kit.contact("ann").fields["score"] == pytest.approx(12.8)
    # 30 days later (the default half-life) the four saves count as two; one visit is added.
    kit.clock.set(kit.now + 30 * DAY)
    kit.emit("site.visited", "ann")
    kit.settle()
    assert kit.contact("ann").fields["score"] == pytest.approx(6.4 + 1.6)


def test_machine_opens_are_ignored(kit: Kit) -> None:
    kit.add_contact("ann")
    kit.emit("email.opened", "ann", {"message_id": 1})
    for i in range(20):
        kit.emit("email.machine_opened", "ann", {"message_id": 1, "n": i})
    kit.settle()
    assert kit.contact("ann").fields["score"] == pytest.approx(1.5)


def test_each_band_crossing_records_exactly_one_event(kit: Kit) -> None:
    kit.add_contact("ann", fields=dict(READY))
    for _ in range(6):
        kit.emit("listing.viewed", "ann")  # 30 behavioural points: 12 score points
    kit.emit("email.clicked", "ann", {"message_id": 5})
    kit.emit("email.clicked", "ann", {"message_id": 6})  # 20 engagement points: 6
    kit.settle()
    assert kit.contact("ann").fields["score"] == pytest.approx(48.0)
    (first,) = _crossings(kit, "ann")
    assert first.data["old_band"] == "cold"
    assert first.data["new_band"] == "warm"
    assert first.data["new"] == pytest.approx(48.0)
    assert sum(f["points"] for f in first.data["factors"]) == pytest.approx(48.0)
    # More saves one at a time: 51.2, 54.4 ... still warm, no new event.
    for _ in range(5):
        _save(kit, "ann")
        kit.settle()
    assert len(_crossings(kit, "ann")) == 1
    assert kit.contact("ann").fields["score"] == pytest.approx(64.0)
    # Replies: 12 engagement points each, 3.6 score points -> 67.6, then 71.2: hot.
    kit.emit("sms.received", "ann", {"body": "Can we see it Saturday?"})
    kit.settle()
    assert len(_crossings(kit, "ann")) == 1
    kit.emit("email.received", "ann", {"body": "Yes please"})
    kit.settle()
    _, hot = _crossings(kit, "ann")
    assert (hot.data["old_band"], hot.data["new_band"]) == ("warm", "hot")
    assert hot.data["old"] == pytest.approx(67.6)
    assert hot.data["new"] == pytest.approx(71.2)
    # Processing more events at the same score changes nothing; 60 days later the events count
    # a quarter (41.2 / 4 = 10.3, plus 30 demographic and a new visit's 1.6): back to warm.
    kit.emit("lead.updated", "ann")
    kit.settle()
    assert len(_crossings(kit, "ann")) == 2
    kit.clock.set(kit.now + 60 * DAY)
    kit.emit("site.visited", "ann")
    kit.settle()
    fall = _crossings(kit, "ann")[-1]
    assert (fall.data["old_band"], fall.data["new_band"]) == ("hot", "warm")
    assert fall.data["new"] == pytest.approx(41.9)
    assert len(_crossings(kit, "ann")) == 3


def test_a_workflow_on_score_changed_enrolls_the_lead_once_it_turns_hot(kit: Kit) -> None:
    kit.publish(HOT_LEADS)
    kit.add_contact("ann", fields=dict(READY))
    for _ in range(6):
        kit.emit("listing.viewed", "ann")
    for i in range(4):
        kit.emit("email.clicked", "ann", {"message_id": i})
    kit.emit("site.visited", "ann")
    kit.settle()
    # 30 + 12 (views) + 12 (clicks) + 1.6 (visit): the warm crossing enrolls nobody.
    assert kit.contact("ann").fields["score"] == pytest.approx(55.6)
    assert kit.contact("ann").fields["score_band"] == "warm"
    assert kit.runs("hot-leads") == []
    saves = 0
    while kit.contact("ann").fields["score_band"] != "hot":
        _save(kit, "ann")
        saves += 1
        kit.settle()
        assert saves < 10
    assert saves == 5  # 55.6 + 5 x 3.2 = 71.6
    (run,) = kit.runs("hot-leads")
    assert run.contact_id == "ann"
    assert [m.body for m in kit.messages()] == ["Agent alert: Ann is 71.6"]


def test_tenant_weights_apply_only_to_that_tenant(kit: Kit) -> None:
    save_config(kit.store, "acme", make_config(weights={"engagement": 1}, bands={"hot": 20}))
    kit.add_contact("a1", tenant_id="acme")
    kit.add_contact("o1", tenant_id="other")
    for cid in ("a1", "o1"):
        kit.emit("email.clicked", cid, {"message_id": 1})
        kit.emit("email.clicked", cid, {"message_id": 2})
    kit.settle()
    assert kit.contact("a1").fields["score"] == pytest.approx(20.0)  # engagement alone
    assert kit.contact("o1").fields["score"] == pytest.approx(6.0)  # 20 x 0.3
    assert kit.contact("a1").fields["score_band"] == "hot"
    assert [e.data["new_band"] for e in _crossings(kit, "a1")] == ["hot"]
    assert _crossings(kit, "o1") == []


def test_a_lost_score_write_does_not_record_a_crossing_twice(kit: Kit) -> None:
    """Recomputing again from the same stored state (a retry after the crossing was recorded
    but the score not written, or a second worker) finds the crossing's dedupe key taken."""
    kit.add_contact("ann", fields=dict(READY))
    for _ in range(6):
        kit.emit("listing.viewed", "ann")
    kit.settle()
    assert len(_crossings(kit, "ann")) == 1
    events = [e for e in kit.store.list_events("ann") if e.type == "listing.viewed"]
    kit.store.apply_contact_patches(
        [ContactPatch("ann", set={"score": None, "score_band": None, "score_at": None})], kit.now
    )
    assert rescore_for_events(kit.store, events, kit.now) == 0
    assert len(_crossings(kit, "ann")) == 1
    assert kit.contact("ann").fields["score_band"] == "warm"


TRIAGE = """
key: triage
name: Triage
start: s
nodes:
  - {id: s, kind: score, next: b}
  - id: b
    kind: branch
    cases:
      - when: {field: contact.score, op: gte, value: 40}
        next: warm
    default: cold
  - {id: warm, kind: send_sms, body: "warm {{ contact.score }} {{ steps.s.band }}"}
  - {id: cold, kind: send_sms, body: "cold {{ contact.score }} {{ contact.score_band }}"}
"""


def test_the_score_node_recomputes_and_branches_on_the_new_score(kit: Kit) -> None:
    kit.publish(TRIAGE)
    kit.add_contact("ann", fields=dict(READY))
    kit.add_contact("bob", fields=dict(READY))
    for cid in ("ann", "bob"):
        for _ in range(6):
            kit.emit("listing.viewed", cid)
        for i in range(4):
            kit.emit("email.clicked", cid, {"message_id": i})
    kit.settle()
    assert kit.contact("ann").fields["score"] == pytest.approx(54.0)
    kit.enroll("triage", "ann")
    kit.settle()
    # Sixty days on, the events count a quarter: 30 + 24 / 4 = 36, and the node sees it.
    kit.clock.set(kit.now + 60 * DAY)
    kit.enroll("triage", "bob")
    kit.settle()
    bodies = {m.contact_id: m.body for m in kit.messages()}
    assert bodies == {"ann": "warm 54.0 warm", "bob": "cold 36.0 cold"}
    assert kit.contact("bob").fields["score"] == pytest.approx(36.0)
    fall = _crossings(kit, "bob")[-1]
    assert (fall.data["old_band"], fall.data["new_band"]) == ("warm", "cold")
    assert len(_crossings(kit, "ann")) == 1  # the node found ann's stored band unchanged


PREDICT = """
key: predict
name: Predict
start: s
nodes:
  - {id: s, kind: score, next: b}
  - id: b
    kind: branch
    cases:
      - when: {field: steps.s.probability, op: gte, value: THRESHOLD}
        next: likely
    default: other
  - {id: likely, kind: send_sms, body: "likely {{ steps.s.probability }}"}
  - {id: other, kind: send_sms, body: "other {{ steps.s.probability }}"}
"""


def test_the_score_node_gives_the_predictive_probability_to_a_branch(tmp_path: Path) -> None:
    end = 1_750_000_000.0
    url = upgraded_db(tmp_path / "predict.db")
    kit = Kit.create(open_store(url), url, start=end)
    try:
        kit.add_contact("early")
        kit.publish(PREDICT.replace("THRESHOLD", "0.5"))
        kit.enroll("predict", "early")
        kit.settle()
        # no trained model yet: no probability, and the branch takes its default
        assert [m.body for m in kit.messages(contact_id="early")] == [
            "other "
        ]  # renders as nothing

        seed_history(kit.store, "default", end - 500 * DAY, end, leads=300, seed=7)
        retrain_tenant(kit.store, "default", end)
        kit.clock.set(end + 301)  # the worker reads a tenant's model at most every 5 minutes
        leads = [c.id for c in kit.store.find_contacts(ContactFilter(limit=40)) if c.id != "early"]
        expected = {cid: Probabilities(kit.store).of(kit.contact(cid), kit.now) for cid in leads}
        threshold = sorted(p or 0.0 for p in expected.values())[len(leads) // 2]
        kit.publish(PREDICT.replace("THRESHOLD", str(threshold)))
        kit.enroll("predict", *leads)
        kit.settle()
        for cid, p in expected.items():
            assert p is not None
            (message,) = kit.messages(contact_id=cid)
            branch = "likely" if p >= threshold else "other"
            assert message.body == f"{branch} {p}", cid
        branches = {m.body.split()[0] for cid in leads for m in kit.messages(contact_id=cid)}
        assert branches == {"likely", "other"}  # the threshold splits them
    finally:
        kit.close()
