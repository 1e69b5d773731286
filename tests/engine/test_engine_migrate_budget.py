"""Moving in-flight runs to a new version (explicit, dry run first) and the message budget."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.engine.migrate import apply_migration, plan_migration
from leadflow.errors import InvalidInput
from support.engine_kit import DAY, HOUR, MINUTE, T0, Kit

V1 = """
key: drip
name: Drip
start: hello
nodes:
  - {id: hello, kind: send_sms, body: "v1 hello", next: pause}
  - {id: pause, kind: wait, duration: 2d, next: bye}
  - {id: bye, kind: send_sms, body: "v1 bye"}
"""

V2 = """
key: drip
name: Drip
start: hello
nodes:
  - {id: hello, kind: send_sms, body: "v2 hello", next: breather}
  - {id: breather, kind: wait, duration: 3d, next: check_in}
  - {id: check_in, kind: send_email, subject: "Checking in", body: "v2 email", next: bye}
  - {id: bye, kind: send_sms, body: "v2 bye"}
"""


def _two_versions(kit: Kit, n: int = 4) -> list[int]:
    kit.publish(V1)
    ids = kit.add_contacts(n)
    run_ids = kit.enroll("drip", *ids)
    kit.settle()  # every run sent "v1 hello" and now waits 2 days at "pause"
    kit.publish(V2)
    return run_ids


def test_dry_run_counts_who_moves_where_and_changes_nothing(kit: Kit) -> None:
    run_ids = _two_versions(kit)
    catalog = kit.runtime.engine.catalog
    plan = plan_migration(kit.store, catalog, "drip", 2, {"pause": "breather"})
    assert [(m.from_version, m.from_node, m.to_node, m.runs, m.timing) for m in plan.moves] == [
        (1, "pause", "breather", 4, "re-planned: 2d -> 3d")
    ]
    other_kind = plan_migration(kit.store, catalog, "drip", 2, {"pause": "check_in"})
    assert [m.timing for m in other_kind.moves] == ["restarted"]
    assert all(kit.run(r).version == 1 for r in run_ids)  # a plan is only a count
    unmapped = plan_migration(kit.store, catalog, "drip", 2)
    assert [(m.from_node, m.to_node) for m in unmapped.unmapped] == [("pause", None)]
    with pytest.raises(InvalidInput, match="pause"):
        apply_migration(kit.store, catalog, unmapped, kit.now)
    with pytest.raises(InvalidInput, match="nowhere"):
        plan_migration(kit.store, catalog, "drip", 2, {"pause": "nowhere"})


def test_a_run_moved_to_a_longer_wait_wakes_as_if_it_had_entered_that_wait(kit: Kit) -> None:
    run_ids = _two_versions(kit)
    catalog = kit.runtime.engine.catalog
    before = kit.run(run_ids[0]).wake_at
    kit.tick(T0 + HOUR)
    plan = plan_migration(kit.store, catalog, "drip", 2, {"pause": "breather"})
    result = apply_migration(kit.store, catalog, plan, kit.now)
    assert (result.moved, result.conflicts, result.skipped) == (4, 0, 0)
    run = kit.run(run_ids[0])
    assert before is not None
    # entered the 2d wait at T0: the 3d wait wakes it at T0 + 3d, a day later than planned
    assert (run.version, run.node, run.status, run.wake_at) == (
        2,
        "breather",
        "waiting",
        before + DAY,
    )
    assert kit.steps(run_ids[0])[-1].data["timing"] == "re-planned: 2d -> 3d"  # type: ignore[index]
    assert kit.steps(run_ids[0])[-1].outcome == "migrated"
    kit.run_until(before + DAY - MINUTE)
    assert [m.body for m in kit.messages(run_id=run_ids[0])] == ["v1 hello"]  # not woken early
    kit.run_until(T0 + 5 * DAY)
    bodies = [m.body for m in kit.messages(run_id=run_ids[0])]
    assert bodies == ["v1 hello", "v2 email", "v2 bye"]  # the rest of v2, not v1's "bye"
    assert kit.run(run_ids[0]).status == "completed"


def test_a_run_moved_to_a_node_of_another_kind_enters_it_now(kit: Kit) -> None:
    run_ids = _two_versions(kit, n=1)
    catalog = kit.runtime.engine.catalog
    kit.tick(T0 + 10 * MINUTE)
    plan = plan_migration(kit.store, catalog, "drip", 2, {"pause": "check_in"})
    apply_migration(kit.store, catalog, plan, kit.now)
    kit.settle()
    assert [m.body for m in kit.messages(run_id=run_ids[0])] == ["v1 hello", "v2 email", "v2 bye"]


def test_publishing_alone_never_moves_a_run(kit: Kit) -> None:
    run_ids = _two_versions(kit, n=2)
    kit.run_until(T0 + 3 * DAY)
    assert {kit.run(r).version for r in run_ids} == {1}
    assert [m.body for m in kit.messages(run_id=run_ids[0])] == ["v1 hello", "v1 bye"]


BURST = """
key: burst-{n}
name: Burst {n}
start: a
nodes:
  - {{id: a, kind: send_email, subject: "s{n}a", body: "b", next: b}}
  - {{id: b, kind: send_email, subject: "s{n}b", body: "b"}}
"""


def test_budget_holds_across_workflows_and_defers_the_rest(make_kit: Any) -> None:
    kit: Kit = make_kit(budget_per_day=3)
    for n in range(3):
        kit.publish(BURST.format(n=n))
    kit.add_contact("c1")
    for n in range(3):
        kit.enroll(f"burst-{n}", "c1")
    kit.settle()
    sent = [m for m in kit.messages() if m.status == "delivered"]
    waiting = [m for m in kit.messages() if m.status == "deferred"]
    assert len(sent) == 3 and len(waiting) == 3
    assert {m.suppressed_reason for m in waiting} == {"budget"}
    kit.run_until(T0 + DAY - MINUTE)
    assert len([m for m in kit.messages() if m.status == "delivered"]) == 3  # still capped
    kit.run_until(T0 + 2 * DAY)
    assert len([m for m in kit.messages() if m.status == "delivered"]) == 6
    assert len(kit.ledger()) == 6


def test_a_paused_run_moved_to_a_longer_wait_keeps_the_replanned_wake_for_its_resume(
    kit: Kit,
) -> None:
    from leadflow.engine.control import pause_run, resume_run

    (run_id,) = _two_versions(kit, n=1)
    before = kit.run(run_id).wake_at
    assert before is not None
    pause_run(kit.store, run_id, kit.now)
    catalog = kit.runtime.engine.catalog
    plan = plan_migration(kit.store, catalog, "drip", 2, {"pause": "breather"})
    apply_migration(kit.store, catalog, plan, kit.now)
    paused = kit.run(run_id)
    assert (paused.version, paused.status) == (2, "paused")
    resumed = resume_run(kit.store, run_id, kit.now)
    assert (resumed.status, resumed.wake_at) == ("waiting", before + DAY)
