"""Orchestration tasks in every backend: a batch stored whole, tasks claimed by priority under
leases and the per-tenant and per-server limits, outcomes fenced by the lease, dependents made
ready or skipped with the reason, cancellation, dead workers' tasks released, poisoned tasks
quarantined, and the tenant wall."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from leadflow.errors import StoreError
from leadflow.model.orchestration import (
    ClaimLimits,
    OrchBatch,
    OrchTask,
    TaskOutcome,
    TaskStatus,
    batch_status,
)
from leadflow.model.tenancy import Tenant
from leadflow.store import Store
from support.records import T0

LIMITS = ClaimLimits(per_tenant=100, per_server=100, max_attempts=3)


@pytest.fixture
def tenants(store: Store) -> Store:
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    store.create_tenant(Tenant("zeta", "Zeta Homes"), T0)
    return store


def task(batch: str, tid: str, seq: int, tenant: str = "acme", **kw: Any) -> OrchTask:
    deps = kw.pop("depends_on", [])
    return OrchTask(
        batch_id=batch,
        task_id=tid,
        tenant_id=tenant,
        kind=kw.pop("kind", "classify"),
        input=kw.pop("input", {"texts": [f"text {tid}"]}),
        depends_on=deps,
        ready=not deps,
        seq=seq,
        created_at=kw.pop("created_at", T0),
        **kw,
    )


def submit(store: Store, batch: str, tasks: list[OrchTask], tenant: str = "acme") -> None:
    store.create_orch_batch(OrchBatch(batch, tenant, tasks[0].created_at, "test"), tasks)


def done(result: Any = None) -> TaskOutcome:
    return TaskOutcome("done", result or {"ok": 1}, 0.9, 10, 5)


def statuses(store: Store, batch: str, tenant: str = "acme") -> dict[str, str]:
    return {t.task_id: str(t.status) for t in store.orch_tasks(tenant, batch)}


def test_a_batch_is_stored_whole_and_read_back_in_order(tenants: Store) -> None:
    tasks = [
        task("b1", "a", 0, input={"texts": ["héllo", "two"]}, priority=5),
        task("b1", "b", 1, depends_on=["a"], kind="compose", server="127.0.0.1:9"),
    ]
    submit(tenants, "b1", tasks)
    back = tenants.orch_tasks("acme", "b1")
    assert back == tasks
    assert [t.task_id for t in tenants.orch_tasks("acme", "b1", ["b", "zz"])] == ["b"]
    assert tenants.orch_tasks("acme", "b1", []) == []
    assert tenants.orch_tasks("zeta", "b1", ["a"]) == []
    batch = tenants.get_orch_batch("acme", "b1")
    assert batch is not None and batch.label == "test"
    assert batch.counts == {"pending": 2} and batch_status(batch) == "running"
    with pytest.raises(StoreError):
        submit(tenants, "b1", [task("b1", "x", 0)])
    with pytest.raises(StoreError):
        submit(tenants, "b9", [task("b9", "x", 0, tenant="nobody")], tenant="nobody")
    assert tenants.get_orch_batch("acme", "b9") is None


def test_the_tenant_wall(tenants: Store) -> None:
    submit(tenants, "b1", [task("b1", "a", 0)])
    assert tenants.get_orch_batch("zeta", "b1") is None
    assert tenants.orch_tasks("zeta", "b1") == []
    assert tenants.list_orch_batches("zeta") == []
    assert tenants.cancel_orch_batch("zeta", "b1", T0) is None
    assert statuses(tenants, "b1") == {"a": "pending"}
    assert [b.id for b in tenants.list_orch_batches("acme")] == ["b1"]


def test_claims_follow_priority_then_age_and_lease_once(tenants: Store) -> None:
    submit(tenants, "old", [task("old", "x", 0), task("old", "y", 1, priority=9)])
    submit(tenants, "new", [task("new", "z", 0, created_at=T0 + 5, priority=9)])
    first = tenants.claim_orch_tasks("w1", T0 + 10, 60, 2, LIMITS)
    assert [(t.batch_id, t.task_id) for t in first] == [("old", "y"), ("new", "z")]
    assert all(t.status == "running" and t.attempts == 1 for t in first)
    assert [t.task_id for t in tenants.claim_orch_tasks("w2", T0 + 10, 60, 5, LIMITS)] == ["x"]
    assert tenants.claim_orch_tasks("w3", T0 + 20, 60, 5, LIMITS) == []
    # an expired lease is claimable again, with a second attempt
    again = tenants.claim_orch_tasks("w3", T0 + 71, 60, 5, LIMITS)
    assert sorted(t.task_id for t in again) == ["x", "y", "z"]
    assert {t.attempts for t in again} == {2}


def test_only_the_lease_holder_stores_an_outcome(tenants: Store) -> None:
    submit(tenants, "b1", [task("b1", "a", 0)])
    (first,) = tenants.claim_orch_tasks("w1", T0, 10, 5, LIMITS)
    assert first.lease_owner == "w1"
    (taken,) = tenants.claim_orch_tasks("w2", T0 + 11, 10, 5, LIMITS)  # w1's lease expired
    assert taken.task_id == "a" and taken.attempts == 2
    assert tenants.finish_orch_task("w1", "b1", "a", done({"by": "w1"}), T0 + 12) is False
    assert tenants.finish_orch_task("w2", "b1", "a", done({"by": "w2"}), T0 + 12) is True
    assert tenants.finish_orch_task("w2", "b1", "a", done({"by": "again"}), T0 + 13) is False
    (stored,) = tenants.orch_tasks("acme", "b1")
    assert stored.status == "done" and stored.result == {"by": "w2"}
    assert (stored.confidence, stored.tokens_in, stored.tokens_out) == (0.9, 10, 5)
    assert stored.lease_owner is None and stored.finished_at == T0 + 12
    batch = tenants.get_orch_batch("acme", "b1")
    assert batch is not None and batch_status(batch) == "completed"


def test_dependencies_gate_claims_and_failures_skip_dependents(tenants: Store) -> None:
    submit(
        tenants,
        "b1",
        [
            task("b1", "a", 0),
            task("b1", "b", 1),
            task("b1", "c", 2, depends_on=["a", "b"]),
            task("b1", "d", 3, depends_on=["c"]),
            task("b1", "e", 4, depends_on=["b"]),
        ],
    )
    claimed = tenants.claim_orch_tasks("w", T0, 60, 10, LIMITS)
    assert [t.task_id for t in claimed] == ["a", "b"]
    assert tenants.finish_orch_task("w", "b1", "a", done(), T0 + 1)
    assert tenants.claim_orch_tasks("w", T0 + 1, 60, 10, LIMITS) == []  # c still waits on b
    assert tenants.finish_orch_task("w", "b1", "b", done(), T0 + 2)
    claimed = tenants.claim_orch_tasks("w", T0 + 2, 60, 10, LIMITS)
    assert sorted(t.task_id for t in claimed) == ["c", "e"]
    failed = TaskOutcome("failed", error="the model server answered 500")
    assert tenants.finish_orch_task("w", "b1", "c", failed, T0 + 3)
    assert tenants.finish_orch_task("w", "b1", "e", done(), T0 + 3)
    by_id = {t.task_id: t for t in tenants.orch_tasks("acme", "b1")}
    assert by_id["c"].error == "the model server answered 500"
    assert by_id["d"].status == "skipped" and by_id["d"].error == "dependency 'c' failed"
    batch = tenants.get_orch_batch("acme", "b1")
    assert batch is not None
    assert batch.counts == {"done": 3, "failed": 1, "skipped": 1}
    assert batch_status(batch) == "completed_with_errors"


def test_skips_travel_down_the_graph(tenants: Store) -> None:
    submit(
        tenants,
        "b1",
        [
            task("b1", "a", 0),
            task("b1", "b", 1, depends_on=["a"]),
            task("b1", "c", 2, depends_on=["b"]),
        ],
    )
    tenants.claim_orch_tasks("w", T0, 60, 10, LIMITS)
    tenants.finish_orch_task("w", "b1", "a", TaskOutcome("failed", error="bad"), T0 + 1)
    by_id = {t.task_id: t for t in tenants.orch_tasks("acme", "b1")}
    assert by_id["b"].error == "dependency 'a' failed"
    assert by_id["c"].error == "dependency 'b' was skipped"


def test_limits_per_tenant_and_per_server_count_every_worker(tenants: Store) -> None:
    submit(tenants, "a1", [task("a1", f"t{i}", i, server="llm:1") for i in range(5)])
    submit(
        tenants,
        "z1",
        [task("z1", f"t{i}", i, tenant="zeta", server="llm:1") for i in range(3)]
        + [task("z1", f"l{i}", 3 + i, tenant="zeta") for i in range(2)],
        tenant="zeta",
    )
    limits = replace(LIMITS, per_tenant=2, per_server=3)
    first = tenants.claim_orch_tasks("w1", T0, 60, 10, limits)
    second = tenants.claim_orch_tasks("w2", T0, 60, 10, limits)
    both = first + second
    assert sum(t.tenant_id == "acme" for t in both) == 2
    assert sum(t.tenant_id == "zeta" for t in both) == 2
    assert sum(t.server == "llm:1" for t in both) == 3
    assert tenants.claim_orch_tasks("w3", T0, 60, 10, limits) == []
    some = next(t for t in both if t.tenant_id == "acme")
    tenants.finish_orch_task(some.lease_owner or "", some.batch_id, some.task_id, done(), T0 + 1)
    (next_one,) = tenants.claim_orch_tasks("w3", T0 + 1, 60, 10, limits)
    assert next_one.tenant_id == "acme"


def test_cancel_stops_pending_tasks_and_lets_running_ones_finish(tenants: Store) -> None:
    submit(tenants, "b1", [task("b1", "a", 0), task("b1", "b", 1), task("b1", "c", 2)])
    (running,) = tenants.claim_orch_tasks("w", T0, 60, 1, LIMITS)
    assert tenants.cancel_orch_batch("acme", "b1", T0 + 1) == 2
    batch = tenants.get_orch_batch("acme", "b1")
    assert batch is not None and batch_status(batch) == "cancelling"
    assert tenants.claim_orch_tasks("w", T0 + 2, 60, 5, LIMITS) == []
    assert tenants.finish_orch_task("w", "b1", running.task_id, done(), T0 + 3)
    batch = tenants.get_orch_batch("acme", "b1")
    assert batch is not None and batch.cancelled_at == T0 + 1
    assert batch.counts == {"done": 1, "cancelled": 2} and batch_status(batch) == "cancelled"
    assert tenants.cancel_orch_batch("acme", "b1", T0 + 9) == 0
    assert tenants.get_orch_batch("acme", "b1").cancelled_at == T0 + 1  # type: ignore[union-attr]


def test_a_dead_workers_tasks_are_released_and_poison_is_quarantined(tenants: Store) -> None:
    submit(tenants, "b1", [task("b1", "a", 0), task("b1", "b", 1, depends_on=["a"])])
    tenants.claim_orch_tasks("dead", T0, 60, 5, LIMITS)
    assert tenants.orch_lease_owners() == ["dead"]
    assert tenants.release_orch_leases(["dead"]) == 1
    assert tenants.orch_lease_owners() == []
    assert statuses(tenants, "b1") == {"a": "pending", "b": "pending"}
    now = T0
    for attempt in (2, 3):  # two more workers die holding it, their leases expire
        now += 100
        (again,) = tenants.claim_orch_tasks(f"w{attempt}", now, 60, 5, LIMITS)
        assert again.attempts == attempt
    assert tenants.claim_orch_tasks("w4", now + 100, 60, 5, LIMITS) == []
    by_id = {t.task_id: t for t in tenants.orch_tasks("acme", "b1")}
    assert by_id["a"].status == TaskStatus.FAILED
    assert (by_id["a"].error or "").startswith("quarantined: its worker stopped 3 times")
    assert by_id["b"].status == "skipped" and by_id["b"].error == "dependency 'a' failed"
