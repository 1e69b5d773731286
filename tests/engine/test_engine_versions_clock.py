"""Promises 7 (versions pin runs) and 8 (one clock)."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from leadflow.clock import VirtualClock
from leadflow.engine.migrate import apply_migration, plan_migration
from leadflow.engine.worker import VIRTUAL_NOW
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from support.engine_kit import DAY, NY, T0, Kit, at, local

V1 = """
key: nurture
name: Nurture
triggers: [{type: event, event: lead.created}]
settings: {reentry: {policy: always}}
start: a
nodes:
  - {id: a, kind: send_sms, body: "v1 hello", next: w}
  - {id: w, kind: wait, duration: 1d, next: b}
  - {id: b, kind: send_sms, body: "v1 bye"}
"""

V2 = """
key: nurture
name: Nurture
triggers: [{type: event, event: lead.created}]
settings: {reentry: {policy: always}}
start: first
nodes:
  - {id: first, kind: send_email, subject: "v2", body: "v2 hello", next: pause}
  - {id: pause, kind: wait, duration: 2d, next: c}
  - {id: c, kind: send_sms, body: "v2 bye"}
"""


def test_new_version_never_changes_a_run_in_flight(kit: Kit) -> None:
    assert kit.publish(V1).version == 1
    kit.add_contact("old")
    (old,) = kit.enroll("nurture", "old")
    kit.settle(T0)
    assert kit.run(old).node == "w"

    assert kit.publish(V2).version == 2
    kit.add_contact("new")
    (new,) = kit.enroll("nurture", "new")
    kit.add_contact("evt")
    kit.emit("lead.created", "evt")
    kit.run_until(T0 + 5 * DAY)

    assert kit.run(old).version == 1
    assert [n for n, _ in kit.outcomes(old)] == ["a", "w", "w", "b"]
    assert kit.run(new).version == 2
    assert [n for n, _ in kit.outcomes(new)] == ["first", "pause", "pause", "c"]
    (evt,) = kit.runs("nurture", "evt")
    assert evt.version == 2
    by_contact: dict[str, list[str]] = {}
    for m in kit.messages():
        by_contact.setdefault(m.contact_id or "", []).append(m.body or "")
    assert by_contact == {
        "old": ["v1 hello", "v1 bye"],
        "new": ["v2 hello", "v2 bye"],
        "evt": ["v2 hello", "v2 bye"],
    }
    assert all(r.status == "completed" for r in kit.runs("nurture"))


def test_republishing_the_same_definition_makes_no_new_version(kit: Kit) -> None:
    assert kit.publish(V1).version == 1
    assert kit.publish(V1).version == 1
    assert kit.publish(V2).version == 2


CAMPAIGN = """
key: campaign
name: Ninety days
start: s0
nodes:
  - {id: s0, kind: send_sms, body: "Welcome", next: w1}
  - {id: w1, kind: wait, duration: 7d, next: e1}
  - {id: e1, kind: send_email, subject: "Week one", body: "Listings", next: w2}
  - {id: w2, kind: wait, duration: 3w, next: s1}
  - {id: s1, kind: send_sms, body: "Month one", next: w3}
  - {id: w3, kind: wait, duration: 30d, next: u1}
  - {id: u1, kind: wait_until, time: "10:00", offset_days: 1, next: e2}
  - {id: e2, kind: send_email, subject: "Month two", body: "Market report", next: w4}
  - {id: w4, kind: wait, duration: 30d, next: s2}
  - {id: s2, kind: send_sms, body: "Day ninety"}
"""


def test_ninety_day_campaign_runs_in_virtual_time_without_reading_wall_time(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    wall_reads: list[str] = []
    real_time, real_time_ns = time.time, time.time_ns

    def spy(real: object) -> object:
        def read() -> object:
            frame = sys._getframe(1)
            name = frame.f_code.co_filename
            if "/leadflow/" in name and not name.endswith("clock.py"):
                wall_reads.append(f"{name}:{frame.f_lineno}")
            return real()  # type: ignore[operator]

        return read

    monkeypatch.setattr(time, "time", spy(real_time))
    monkeypatch.setattr(time, "time_ns", spy(real_time_ns))

    kit.publish(CAMPAIGN)
    ids = kit.add_contacts(50)
    kit.enroll("campaign", *ids)
    started = time.perf_counter()
    stats = kit.run_until(T0 + 100 * DAY)
    elapsed = time.perf_counter() - started

    assert wall_reads == []
    assert elapsed < 10
    assert stats.ticks > 0
    month_two = local(T0 + 59 * DAY).date()
    u1_wake = at(month_two.year, month_two.month, month_two.day, 10, 0)
    expected_sends = {
        "s0": T0,
        "e1": T0 + 7 * DAY,
        "s1": T0 + 28 * DAY,
        "e2": u1_wake,
        "s2": u1_wake + 30 * DAY,
    }
    assert local(expected_sends["s2"]).date() - local(T0).date() == timedelta(days=89)
    for run in kit.runs("campaign"):
        assert run.status == "completed"
        assert run.ended_at == expected_sends["s2"]
        queued = {s.node: s.started_at for s in kit.steps(run.id) if s.outcome == "queued"}
        assert queued == expected_sends
        timers = [s for s in kit.steps(run.id) if s.outcome == "timer"]
        assert all(s.started_at == s.due_at for s in timers)  # no lag in virtual time
    sent = sorted({m.sent_at for m in kit.messages()})
    assert sent == sorted(expected_sends.values())
    assert len(kit.ledger()) == 50 * 5
    assert kit.now == T0 + 100 * DAY
    assert kit.store.get_meta(VIRTUAL_NOW) == repr(T0 + 100 * DAY)


def test_virtual_time_survives_a_worker_restart(kit: Kit) -> None:
    kit.publish(CAMPAIGN)
    kit.add_contact("c1")
    kit.enroll("campaign", "c1")
    kit.run_until(T0 + 10 * DAY)
    assert kit.store.get_meta(VIRTUAL_NOW) == repr(T0 + 10 * DAY)

    # A new process starts with its clock at the beginning again; it resumes the saved moment.
    clock = VirtualClock(T0)
    runtime = build_runtime(Settings(db=kit.url), store=kit.store, clock=clock, seed=2)
    runtime.worker("restarted").run(virtual=True, until=T0 + 30 * DAY)
    assert clock.now() == T0 + 30 * DAY
    queued = [s.started_at for s in kit.steps(1) if s.outcome == "queued"]
    assert queued == [T0, T0 + 7 * DAY, T0 + 28 * DAY]


def test_wall_clock_sources_are_confined_to_the_clock_module() -> None:
    """Static guard for promise 8: engine, channels, store and definitions never read wall time."""
    import leadflow

    root = Path(leadflow.__file__).parent
    offenders = []
    for layer in ("engine", "channels", "store", "definitions"):
        for path in (root / layer).rglob("*.py"):
            text = path.read_text()
            for needle in ("time.time(", "datetime.now(", "utcnow(", "date.today(", "monotonic("):
                if needle in text:
                    offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []


def test_step_times_are_the_virtual_times_they_ran_at(kit: Kit) -> None:
    kit.publish(CAMPAIGN)
    kit.add_contact("c1")
    (rid,) = kit.enroll("campaign", "c1")
    kit.run_until(T0 + 8 * DAY)
    times = [(s.node, s.outcome, s.started_at) for s in kit.steps(rid)]
    assert times == [
        ("s0", "queued", T0),
        ("w1", "waiting", T0),
        ("w1", "timer", T0 + 7 * DAY),
        ("e1", "queued", T0 + 7 * DAY),
        ("w2", "waiting", T0 + 7 * DAY),
    ]
    assert local(times[-1][2], NY).hour == 12
    assert kit.now == T0 + 8 * DAY
    assert kit.run(rid).wake_at == T0 + 28 * DAY
    assert kit.store.next_due_at() == T0 + 28 * DAY


ASK = """
key: ask
name: Ask
start: {first}
nodes:
  - {{id: {first}, kind: send_sms, body: "Still looking?", next: w, on_error: mail}}
  - {{id: w, kind: wait, duration: 1d, next: b}}
  - {{id: b, kind: send_sms, body: "Day two"}}
  - {{id: mail, kind: send_email, subject: "Hello", body: "By mail"}}
"""


def test_run_migrated_while_its_send_node_awaits_the_verdict_goes_on(kit: Kit) -> None:
    kit.publish(ASK.format(first="a"))
    kit.add_contact("c1")
    (rid,) = kit.enroll("ask", "c1")
    kit.worker.advancer.advance_due(T0)  # the text is queued, the run waits for its verdict
    kit.publish(ASK.format(first="hello"))
    catalog = kit.runtime.engine.catalog
    plan = plan_migration(kit.store, catalog, "ask", 2, {"a": "hello"})
    assert apply_migration(kit.store, catalog, plan, T0).moved == 1
    kit.run_until(T0 + 3 * DAY)
    assert [m.body for m in kit.messages()] == ["Still looking?", "Day two"]
    assert kit.run(rid).status == "completed"
