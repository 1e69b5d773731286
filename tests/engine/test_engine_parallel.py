"""The ``parallel`` node on the three backends: fork into branch runs, join on all or any,
time out, cancel the branches the parent no longer waits for, and never send a step twice."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from leadflow.analytics.filters import Filters
from leadflow.analytics.funnel import compute, report
from leadflow.engine import control
from leadflow.engine.advance import new_advance
from leadflow.engine.forks import BRANCH, FORK
from leadflow.engine.migrate import MigrationPlan, apply_migration, plan_migration
from leadflow.engine.rewind import apply_rewind, plan_rewind
from leadflow.errors import PermanentStepError
from leadflow.model.records import Message, Run, Scope
from leadflow.store.prune import prune
from support.engine_kit import DAY, HOUR, T0, Kit, ScriptedHandler

# Local 10:00 at T0 is inside the send window; texts go at once.
FORK_WF = """
key: fork
name: Fork
start: hello
nodes:
  - {id: hello, kind: send_sms, body: "Hello", next: both}
  - id: both
    kind: parallel
    join: %(join)s
    %(timeout)s
    branches:
      - {name: quick, start: q1}
      - {name: slow, start: s1}
    next: after
  - {id: q1, kind: wait, duration: 1h, next: q2}
  - {id: q2, kind: send_sms, body: "Quick one", next: after}
  - {id: s1, kind: wait, duration: 5h, next: s2}
  - {id: s2, kind: send_sms, body: "Slow one", next: s3}
  - {id: s3, kind: update_contact, add_tags: [slow-done]}
  - {id: after, kind: send_sms, body: "Both sides done"}
"""


def _publish(kit: Kit, join: str = "all", timeout: str | None = None) -> None:
    kit.publish(FORK_WF % {"join": join, "timeout": f"timeout: {timeout}" if timeout else ""})


def _bodies(kit: Kit) -> list[str]:
    return [d.body or "" for d in kit.ledger()]


def _branches(kit: Kit, parent: int) -> dict[str, Run]:
    return {
        r.context[BRANCH]["branch"]: r
        for r in kit.runs("fork")
        if r.context.get(BRANCH, {}).get("parent") == parent
    }


def test_join_all_waits_for_every_branch_then_goes_on_once(kit: Kit) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.settle(T0)
    parent = kit.run(rid)
    assert (parent.status, parent.node, parent.waiting_for) == (
        "waiting",
        "both",
        "parallel.branch_ended",
    )
    branches = _branches(kit, rid)
    assert sorted(branches) == ["quick", "slow"]
    assert {b.node for b in branches.values()} == {"q1", "s1"}

    kit.run_until(T0 + 2 * HOUR)
    assert _bodies(kit) == ["Hello", "Quick one"]
    assert kit.run(rid).status == "waiting"  # the slow branch is still out
    assert _branches(kit, rid)["quick"].status == "completed"

    kit.run_until(T0 + DAY)
    assert _bodies(kit) == ["Hello", "Quick one", "Slow one", "Both sides done"]
    parent = kit.run(rid)
    assert parent.status == "completed"
    assert FORK not in parent.context
    assert parent.context["steps"]["both"]["branches"] == {
        "quick": "completed",
        "slow": "completed",
    }
    assert ("both", "joined") in kit.outcomes(rid)
    assert "slow-done" in kit.contact("c1").tags
    # Each branch ended at the join target: the node after the join ran in the parent only.
    assert [m.run_id for m in kit.messages() if m.body == "Both sides done"] == [rid]


def test_join_any_cancels_the_slower_branch_whose_text_is_never_sent(kit: Kit) -> None:
    _publish(kit, "any")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + 2 * DAY)
    assert _bodies(kit) == ["Hello", "Quick one", "Both sides done"]
    branches = _branches(kit, rid)
    assert branches["quick"].status == "completed"
    assert (branches["slow"].status, branches["slow"].exit_reason) == (
        "cancelled",
        "parallel:cancelled",
    )
    assert kit.messages(run_id=branches["slow"].id) == []
    assert "slow-done" not in kit.contact("c1").tags
    assert ("both", "joined:quick") in kit.outcomes(rid)
    assert kit.run(rid).status == "completed"


def test_timeout_goes_on_with_outcome_timeout_and_cancels_what_runs(kit: Kit) -> None:
    _publish(kit, "all", "3h")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + 2 * DAY)
    assert _bodies(kit) == ["Hello", "Quick one", "Both sides done"]
    assert ("both", "timeout") in kit.outcomes(rid)
    assert _branches(kit, rid)["slow"].status == "cancelled"
    assert kit.run(rid).context["steps"]["both"]["branches"] == {"quick": "completed"}


def test_cancelling_the_parent_cancels_its_branches(kit: Kit) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.settle(T0)
    control.cancel_run(kit.store, rid, T0 + 60)
    assert {r.status for r in _branches(kit, rid).values()} == {"cancelled"}
    kit.run_until(T0 + 2 * DAY)
    assert _bodies(kit) == ["Hello"]


def test_a_goal_exits_the_parent_and_its_branches(kit: Kit) -> None:
    source = FORK_WF % {"join": "all", "timeout": ""}
    source = source.replace(
        "start: hello",
        "start: hello\nsettings:\n  goals: [{name: booked, event: appointment.booked}]",
    )
    kit.publish(source)
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + 2 * HOUR)
    kit.emit("appointment.booked", "c1", {})
    kit.run_until(T0 + 2 * DAY)
    assert _bodies(kit) == ["Hello", "Quick one"]
    assert kit.run(rid).status == "exited"
    assert _branches(kit, rid)["slow"].status in ("exited", "cancelled")


def test_stop_during_branches_suppresses_their_texts(kit: Kit) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.settle(T0)
    kit.set_consent("c1", "sms", "opted_out")
    kit.run_until(T0 + 2 * DAY)
    assert _bodies(kit) == ["Hello"]
    reasons = {m.body: m.suppressed_reason for m in kit.messages() if m.body != "Hello"}
    assert reasons == dict.fromkeys(["Quick one", "Slow one", "Both sides done"], "opted_out")
    assert kit.run(rid).status == "completed"  # the branches ended, the parent joined


def test_a_failed_branch_fails_the_parent_or_counts_as_ended(kit: Kit) -> None:
    source = """
key: fork
name: Fork
start: both
nodes:
  - id: both
    kind: parallel
    on_branch_error: %s
    branches:
      - {name: bad, start: b1}
      - {name: good, start: g1}
    next: after
  - {id: b1, kind: update_contact, add_tags: [x]}
  - {id: g1, kind: wait, duration: 1h, next: after}
  - {id: after, kind: send_sms, body: "After"}
"""
    kit.publish(source % "fail")
    crm_down = PermanentStepError("CRM refused the change")
    kit.runtime.engine.registry.register("update_contact", ScriptedHandler(crm_down, crm_down))
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + DAY)
    parent = kit.run(rid)
    assert parent.status == "failed"
    assert parent.error == "both: parallel: branch 'bad' failed: b1: CRM refused the change"
    assert _bodies(kit) == []

    kit.publish(source % "continue")
    kit.add_contact("c2")
    (rid2,) = kit.enroll("fork", "c2")
    kit.run_until(T0 + 2 * DAY)
    assert kit.run(rid2).status == "completed"
    assert kit.run(rid2).context["steps"]["both"]["branches"] == {
        "bad": "failed",
        "good": "completed",
    }
    assert _bodies(kit) == ["After"]


class Killed(BaseException):
    """The worker process dies here (nothing after it runs, nothing is caught)."""


def _die_at(kit: Kit, monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    def die(*args: object, **kwargs: object) -> None:
        raise Killed(method)

    monkeypatch.setattr(kit.store, method, die)


def test_a_worker_killed_before_the_fork_commits_forks_once_on_replay(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fork step (its branch runs are its enrollments) computed, then the worker dies
    before its commit: another worker, once the lease has expired, forks exactly once; each
    text leaves once."""
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    with monkeypatch.context() as patch:
        _die_at(kit, patch, "commit_advances")
        with pytest.raises(Killed):
            kit.tick(T0)
    assert kit.runs("fork") == [kit.run(rid)]  # nothing of the step was written
    other = kit.other_worker("after-crash")
    lease = kit.runtime.settings.lease_s
    for _ in range(20):
        if not kit.tick(T0 + lease + 1, other):
            break
    assert sorted(_branches(kit, rid)) == ["quick", "slow"]
    assert len(kit.runs("fork")) == 3
    kit.run_until(T0 + DAY)
    assert sorted(_bodies(kit)) == sorted(["Hello", "Quick one", "Slow one", "Both sides done"])
    assert [d.duplicates for d in kit.ledger()] == [0] * 4


def test_a_worker_killed_before_the_join_commits_joins_once_on_replay(
    kit: Kit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last branch's end is being processed (the parent's join) when the worker dies: the
    event is processed again by another worker and the run goes on once."""
    _publish(kit, "any")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + HOUR - 1)  # the quick branch's wait falls due at T0 + 1h
    with monkeypatch.context() as patch:
        _die_at(kit, patch, "complete_events")
        with pytest.raises(Killed):
            for _ in range(10):
                kit.tick(T0 + HOUR)
    assert kit.run(rid).status == "waiting"
    # The dead worker's leases never change again. In virtual mode the survivor presumes it dead
    # after ``takeover_s`` of wall time; its wall clock moves that far at each look, so the
    # takeover happens at its second look instead of after 30 real seconds.
    looks = itertools.count(0.0, kit.runtime.settings.takeover_s)
    other = kit.other_worker("after-crash", wall=lambda: next(looks))
    kit.clock.set(T0 + HOUR + kit.runtime.settings.lease_s + 1)
    other.run(virtual=True, until=T0 + 2 * DAY)
    assert other.stats.released >= 1  # the dead worker's leases, taken over
    assert _bodies(kit) == ["Hello", "Quick one", "Both sides done"]
    assert [o for n, o in kit.outcomes(rid) if n == "both"].count("joined:quick") == 1
    assert _branches(kit, rid)["slow"].status == "cancelled"


def test_a_branch_whose_cancellation_lost_a_race_never_sends(kit: Kit) -> None:
    """The parent joined (any) but the slower branch's cancellation was lost (as if a
    concurrent change had won): the text it had queued is suppressed at dispatch, and the
    branch is cancelled when next claimed instead of going on."""
    kit.publish(
        """
key: fork
name: Fork
start: both
nodes:
  - id: both
    kind: parallel
    join: any
    branches: [{name: quick, start: q}, {name: slow, start: s0}]
    next: after
  - {id: q, kind: update_contact, add_tags: [quick]}
  - {id: s0, kind: wait, duration: 30m, next: s1}
  - {id: s1, kind: send_sms, body: "Slow one", next: s2}
  - {id: s2, kind: wait, duration: 1h, next: s3}
  - {id: s3, kind: send_sms, body: "Slower still"}
  - {id: after, kind: wait, duration: 1d}
"""
    )
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.settle(T0)
    slow = _branches(kit, rid)["slow"]
    assert slow.status == "cancelled"
    assert kit.messages(run_id=slow.id) == []
    # Put the slow branch back as if it had sent s1's text to the outbox and slept at s2.
    adv = new_advance(slow)
    adv.status, adv.node, adv.wake_at, adv.ended_at, adv.exit_reason = (
        "waiting",
        "s2",
        T0 + HOUR,
        None,
        None,
    )
    adv.messages.append(
        Message(
            slow.id,
            "c1",
            "fork",
            "s1",
            "sms",
            "+12125550100",
            f"{slow.id}:s1:1",
            T0,
            T0,
            body="Slow one",
        )
    )
    kit.store.commit_advances("test", [adv], T0)
    assert kit.run(slow.id).status == "waiting"
    kit.run_until(T0 + DAY)
    assert _bodies(kit) == []
    assert [m.suppressed_reason for m in kit.messages(run_id=slow.id)] == ["branch_cancelled"]
    assert (kit.run(slow.id).status, kit.run(slow.id).node) == ("cancelled", "s2")


def test_the_funnel_counts_branch_nodes_entered_and_runs_once(kit: Kit) -> None:
    _publish(kit, "any")
    for cid in ("c1", "c2", "c3"):
        kit.add_contact(cid)
    kit.enroll("fork", "c1", "c2", "c3")
    kit.run_until(T0 + 2 * DAY)
    out = report(compute(kit.store, Scope("default"), "fork", Filters()))
    assert out["entered"] == 3  # the branch runs are no runs of their own
    assert out["by_status"] == {"completed": 3}
    nodes = {row["node"]: row for row in out["nodes"]}
    assert nodes["both"]["entered"] == nodes["both"]["completed"] == 3
    assert nodes["both"]["outcomes"] == {"joined:quick": {"runs": 3, "share": 1.0}}
    assert (nodes["q1"]["entered"], nodes["q2"]["entered"], nodes["q2"]["sent"]) == (3, 3, 3)
    assert (nodes["s1"]["entered"], nodes["s2"]["entered"]) == (3, 0)  # cancelled at s1
    assert nodes["after"]["entered"] == 3


def test_a_reply_pauses_parent_and_branches_and_resuming_the_parent_resumes_them(
    kit: Kit,
) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.settle(T0)
    kit.emit("sms.received", "c1", {"body": "who is this?"})
    kit.settle(T0 + 60)
    assert kit.run(rid).status == "paused"
    assert {r.status for r in _branches(kit, rid).values()} == {"paused"}
    control.resume_run(kit.store, rid, T0 + 2 * HOUR)
    assert {r.status for r in _branches(kit, rid).values()} == {"waiting"}
    kit.run_until(T0 + DAY)
    assert kit.run(rid).status == "completed"
    assert _bodies(kit) == ["Hello", "Quick one", "Slow one", "Both sides done"]


def test_rewinding_the_parent_off_the_fork_cancels_its_branches_and_forks_anew(kit: Kit) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + 2 * HOUR)  # the quick branch is done, the slow one waits
    first = _branches(kit, rid)
    run = kit.run(rid)
    contact = kit.store.get_contact("c1")
    wf = kit.runtime.engine.catalog.get("default", "fork", run.version)
    plan = plan_rewind(kit.store, kit.runtime.engine, run, contact, wf, kit.now, to_node="hello")
    apply_rewind(kit.store, run, plan, kit.now, "test")
    assert kit.run(first["slow"].id).status == "cancelled"
    kit.run_until(T0 + 2 * DAY)
    assert kit.run(rid).status == "completed"
    assert _bodies(kit).count("Slow one") == 1  # from the second fork only
    assert _bodies(kit).count("Both sides done") == 1
    assert len([r for r in kit.runs("fork") if r.parent_run_id == rid]) == 4


def test_prune_keeps_ended_branches_while_their_parent_waits_then_prunes_all(
    kit: Kit, tmp_path: Path
) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + 2 * HOUR)  # the quick branch completed an hour ago; the slow one waits
    quick = _branches(kit, rid)["quick"]
    assert quick.status == "completed"
    early = prune(kit.store, T0 + 3 * HOUR, tmp_path / "early.jsonl.gz", now=kit.now)
    assert (early.runs, early.skipped_runs) == (0, 0)
    assert kit.store.get_run(quick.id) is not None  # the parent still joins on it
    kit.run_until(T0 + DAY)
    parent = kit.run(rid)
    assert parent.status == "completed"
    assert parent.context["steps"]["both"]["branches"] == {
        "quick": "completed",
        "slow": "completed",
    }
    assert _bodies(kit) == ["Hello", "Quick one", "Slow one", "Both sides done"]
    dry = prune(kit.store, T0 + 2 * DAY, tmp_path / "dry.jsonl.gz", now=kit.now, dry_run=True)
    late = prune(kit.store, T0 + 2 * DAY, tmp_path / "late.jsonl.gz", now=kit.now, batch=1)
    assert dry.runs == late.runs == 3  # parent and both branches, once the parent ended
    assert kit.runs("fork") == []


def test_pausing_the_parent_by_hand_pauses_its_branches_and_nothing_goes_out(kit: Kit) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.settle(T0)
    control.pause_run(kit.store, rid, T0 + 60)
    assert kit.run(rid).status == "paused"
    assert {r.status for r in _branches(kit, rid).values()} == {"paused"}
    kit.run_until(T0 + DAY)
    assert _bodies(kit) == ["Hello"]  # no branch text while the parent is paused
    control.resume_run(kit.store, rid, kit.now)
    assert {r.status for r in _branches(kit, rid).values()} == {"waiting"}
    kit.run_until(T0 + 2 * DAY)
    assert kit.run(rid).status == "completed"
    assert _bodies(kit) == ["Hello", "Quick one", "Slow one", "Both sides done"]


STARTER_WF = """
key: starter
name: Starter
start: go
nodes:
  - {id: go, kind: start_workflow, workflow: fork}
"""


def test_branch_runs_are_no_enrolments_for_run_counts_and_the_hourly_cap(make_kit: Any) -> None:
    kit: Kit = make_kit(max_enrollments_per_hour=2)
    source = FORK_WF % {"join": "all", "timeout": ""}
    kit.publish(
        source.replace("name: Fork\n", "name: Fork\nsettings: {reentry: {policy: always}}\n")
    )
    kit.publish(STARTER_WF)
    kit.add_contact("c1")
    (first,) = kit.enroll("fork", "c1")
    kit.settle(T0)
    assert len(_branches(kit, first)) == 2
    assert kit.store.count_runs("fork") == {"waiting": 1}
    assert kit.store.count_runs_since("c1", "fork", T0 - 1) == 1
    control.cancel_run(kit.store, first, T0 + 60)  # an open run would block re-entry
    assert kit.store.count_runs("fork") == {"cancelled": 1}
    (starter,) = kit.enroll("starter", "c1")
    kit.settle(T0 + 120)
    assert kit.run(starter).status == "completed"  # one enrolment this hour, not three
    parents = [r for r in kit.runs("fork") if r.parent_run_id is None]
    assert len(parents) == 2
    assert kit.store.count_runs("fork") == {"cancelled": 1, "waiting": 1}
    assert kit.store.count_runs_since("c1", "fork", T0 - 1) == 2


def _publish_v2(kit: Kit) -> None:
    source = FORK_WF % {"join": "all", "timeout": ""}
    kit.publish(source.replace("Both sides done", "Done, version 2"))


def _timings(plan: MigrationPlan) -> dict[str, str]:
    return {m.from_node: m.timing for m in plan.moves}


def test_migrating_the_parent_to_the_same_parallel_node_keeps_its_branches(kit: Kit) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + 2 * HOUR)  # the quick branch is done, the slow one waits
    _publish_v2(kit)
    catalog = kit.runtime.engine.catalog
    plan = plan_migration(kit.store, catalog, "fork", 2)
    assert _timings(plan) == {"both": "kept; branches kept", "s1": "kept"}
    assert apply_migration(kit.store, catalog, plan, kit.now).moved == 2
    slow = _branches(kit, rid)["slow"]
    assert (slow.status, slow.version) == ("waiting", 2)
    kit.run_until(T0 + DAY)
    assert kit.run(rid).status == "completed"
    assert _bodies(kit) == ["Hello", "Quick one", "Slow one", "Done, version 2"]


def test_migrating_the_parent_off_the_fork_cancels_its_branches_in_the_same_commit(
    kit: Kit,
) -> None:
    _publish(kit, "all")
    kit.add_contact("c1")
    (rid,) = kit.enroll("fork", "c1")
    kit.run_until(T0 + 2 * HOUR)
    _publish_v2(kit)
    catalog = kit.runtime.engine.catalog
    plan = plan_migration(kit.store, catalog, "fork", 2, {"both": "after"})
    assert _timings(plan) == {"both": "restarted; branches cancelled", "s1": "branch cancelled"}
    apply_migration(kit.store, catalog, plan, kit.now)
    slow = _branches(kit, rid)["slow"]
    assert (slow.status, slow.exit_reason) == ("cancelled", "parallel:cancelled")  # no worker ran
    parent = kit.run(rid)
    assert (parent.node, parent.version) == ("after", 2)
    assert FORK not in parent.context
    kit.run_until(T0 + 2 * DAY)
    assert kit.run(rid).status == "completed"
    assert _bodies(kit) == ["Hello", "Quick one", "Done, version 2"]
