"""Tasks, owner assignments and agent profiles: every backend alike."""

from __future__ import annotations

from dataclasses import replace

from leadflow.model.playbooks import AgentProfile, AppointmentFilter, Assignment, Task, TaskFilter
from leadflow.store import Store


def _task(step: str, assignee: str = "a1", tenant: str = "acme", due: float = 100.0) -> Task:
    return Task(tenant, "c1", assignee, f"call {step}", due, step, created_at=10.0)


def test_task_creation_is_idempotent_by_step_and_reads_stay_in_the_tenant(store: Store) -> None:
    first, created = store.create_task(_task("run:1:n:1"))
    again, created_again = store.create_task(replace(_task("run:1:n:1"), title="other"))
    assert created and not created_again
    assert again.id == first.id and again.title == "call run:1:n:1"
    other, _ = store.create_task(_task("run:2:n:1", assignee="b1", tenant="beta"))
    assert store.get_task("acme", first.id) == first
    assert store.get_task("beta", first.id) is None
    assert store.get_task("acme", other.id) is None
    store.create_task(_task("run:3:n:1", assignee="a2"))
    mine = store.list_tasks(TaskFilter("acme", assignees=["a1"]))
    assert [t.step_key for t in mine] == ["run:1:n:1"]
    assert [t.assignee for t in store.list_tasks(TaskFilter("acme"))] == ["a1", "a2"]
    assert store.list_tasks(TaskFilter("acme", assignees=[])) == []


def test_update_overdue_and_status_guard(store: Store) -> None:
    task, _ = store.create_task(_task("k1", due=50.0))
    store.create_task(_task("k2", due=500.0))
    assert [t.step_key for t in store.overdue_tasks(100.0, 10)] == ["k1"]
    assert store.update_task(replace(task, overdue_at=100.0))
    assert store.overdue_tasks(100.0, 10) == []
    done = replace(task, status="done", completed_at=120.0, completed_by="a1", overdue_at=100.0)
    assert store.update_task(done, expect_status="open")
    assert not store.update_task(done, expect_status="open")  # a second completion loses
    assert store.get_task("acme", task.id) == done
    assert store.list_tasks(TaskFilter("acme", status="open"))[0].step_key == "k2"
    assert not store.update_task(replace(done, tenant_id="beta"))


def test_assignments_and_profiles(store: Store) -> None:
    assert store.record_assignment(Assignment("acme", "c1", "a1", "round_robin", "turn", "s1", 5))
    assert not store.record_assignment(
        Assignment("acme", "c1", "a2", "round_robin", "turn", "s1", 6)
    )
    store.record_assignment(Assignment("acme", "c2", "a2", "area", "ZIP 78701", "s2", 7.0))
    store.record_assignment(Assignment("acme", "c3", "a1", "source", "zillow", "s3", 9.0))
    store.record_assignment(Assignment("beta", "c9", "a1", "manual", "x", "s4", 99.0))
    assert store.last_assigned("acme", ["a1", "a2", "a3"]) == {"a1": 9.0, "a2": 7.0}
    assert [a.step_key for a in store.list_assignments("acme")] == ["s3", "s2", "s1"]
    assert [a.reason for a in store.list_assignments("acme", "c2")] == ["ZIP 78701"]
    profile = AgentProfile("acme", "a1", areas=["78701"], sources=["zillow"], updated_at=1.0)
    store.save_agent_profile(profile)
    store.save_agent_profile(replace(profile, member_key="a0", available=False))
    store.save_agent_profile(replace(profile, urgent_after_hours=True, updated_at=2.0))
    found = store.agent_profiles("acme")
    assert [p.member_key for p in found] == ["a0", "a1"]
    assert found[1] == replace(profile, urgent_after_hours=True, updated_at=2.0)
    assert found[0].available is False
    assert store.agent_profiles("beta") == []


def test_a_slot_is_booked_once_even_under_concurrent_requests(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from leadflow.model.playbooks import Appointment

    start = 1_800_000_000.0

    def book(i: int) -> Appointment | None:
        return store.book_appointment(
            Appointment("acme", "a1", f"lead-{i}", start, start + 1800, created_at=float(i))
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(book, range(8)))
    won = [r for r in results if r is not None]
    assert len(won) == 1
    assert store.list_appointments(AppointmentFilter("acme", agent="a1")) == won
    # another agent's slot at the same moment, and another tenant's, are free
    assert store.book_appointment(Appointment("acme", "a2", "lead-x", start, start + 1800))
    assert store.book_appointment(Appointment("beta", "a1", "lead-y", start, start + 1800))
    [mine] = won
    assert store.get_appointment("beta", mine.id) is None
    assert not store.cancel_appointment("beta", mine.id, 5.0)
    assert store.cancel_appointment("acme", mine.id, 5.0)
    assert not store.cancel_appointment("acme", mine.id, 6.0)
    again = store.book_appointment(Appointment("acme", "a1", "lead-z", start, start + 1800))
    assert again is not None and again.id != mine.id
    cancelled = store.list_appointments(AppointmentFilter("acme", agent="a1", status="cancelled"))
    assert [(a.id, a.cancelled_at) for a in cancelled] == [(mine.id, 5.0)]
    assert [
        a.contact_id
        for a in store.list_appointments(AppointmentFilter("acme", contact_id="lead-z"))
    ] == ["lead-z"]
