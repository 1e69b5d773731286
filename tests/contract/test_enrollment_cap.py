"""``EnrollRequest.max_per_hour``: the store counts a contact's runs of a workflow from the past
hour in the enrolling transaction, so the cap holds for every path (enroll, commit_advances,
complete_events) and across workers."""

from __future__ import annotations

from leadflow.model.records import EnrollRequest, RunFilter
from leadflow.store import Store
from support.records import T0, add_contacts, advance
from support.threads import at_once

HOUR = 3600.0


def capped(cid: str, cap: int = 3, key: str = "wf") -> EnrollRequest:
    return EnrollRequest(key, 1, cid, "start", {}, reentry="always", max_per_hour=cap)


def finish_all(store: Store, now: float) -> None:
    for run in store.list_runs(RunFilter(status="active")):
        assert store.commit_advances("w", [advance(run, status="completed")], now).applied == 1


def test_enroll_stops_at_the_cap_within_the_hour(store: Store) -> None:
    add_contacts(store, "a", "b")
    for i in range(5):
        out = store.enroll([capped("a"), capped("b", cap=1)], T0 + i * 60)
        finish_all(store, T0 + i * 60)
        assert out.created == (2 if i == 0 else 1 if i < 3 else 0)
    assert store.count_runs_since("a", "wf", T0 - HOUR) == 3
    assert store.count_runs_since("b", "wf", T0 - HOUR) == 1
    assert store.count_runs_since("a", "other", T0 - HOUR) == 0
    # An hour after the first runs, the window has room again.
    out = store.enroll([capped("a")], T0 + HOUR + 1)
    assert out.created == 1
    assert store.count_runs_since("a", "wf", T0 + 1) == 3  # created at +60 s, +120 s, +1 h


def test_the_cap_is_per_workflow(store: Store) -> None:
    add_contacts(store, "a")
    created = 0
    for i in range(4):
        created += store.enroll([capped("a", cap=2, key=k) for k in ("x", "y")], T0 + i).created
        finish_all(store, T0 + i)
    assert created == 4  # two of each


def test_the_cap_applies_to_enrollments_committed_with_an_advance(store: Store) -> None:
    add_contacts(store, "a")
    (rid,) = store.enroll([EnrollRequest("root", 1, "a", "start")], T0).run_ids
    made = 0
    for i in range(4):
        run = store.get_run(rid)
        assert run is not None
        adv = advance(run, node=f"n{i}")
        adv.enrollments.append(capped("a", cap=2))
        assert store.commit_advances("w", [adv], T0 + i).applied == 1
        made += len(store.list_runs(RunFilter(workflow_key="wf", status="active")))
        finish_all_wf(store, T0 + i)
    assert made == 2


def finish_all_wf(store: Store, now: float) -> None:
    for run in store.list_runs(RunFilter(workflow_key="wf", status="active")):
        assert store.commit_advances("w", [advance(run, status="completed")], now).applied == 1


def test_concurrent_enrollers_never_pass_the_cap(store: Store) -> None:
    add_contacts(store, "a")

    def enroller(n: int) -> None:
        for i in range(5):
            store.enroll([capped("a", cap=3, key=f"k{i % 2}")], T0 + n)

    assert at_once(enroller, 4) == []
    # reentry always with live runs: at most one live run per key anyway; finish and go on
    finish_all(store, T0 + 10)
    for i in range(6):
        for key in ("k0", "k1"):
            store.enroll([capped("a", cap=3, key=key)], T0 + 20 + i)
        finish_all(store, T0 + 20 + i)
    assert store.count_runs_since("a", "k0", T0 - HOUR) == 3
    assert store.count_runs_since("a", "k1", T0 - HOUR) == 3
