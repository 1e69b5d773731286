"""The funnel and the cohort grid stay exact while what they count changes after a report
(memory, SQLite and PostgreSQL): the SQL backends count them from a per-run summary that
triggers mark stale and a report folds (migration 0220). After each change -- runs advancing,
delivery, open, click and reply facts arriving later, a rewind, a migration to a new version,
prune and erasure -- the counted report equals the one read from every row, in both tenants."""

from __future__ import annotations

from typing import Any

from leadflow.analytics.cohorts import cohorts
from leadflow.analytics.filters import Filters
from leadflow.analytics.funnel import compute, load, report
from leadflow.analytics.plugin import FunnelFold
from leadflow.definitions.io import load_text
from leadflow.engine.advance import new_advance
from leadflow.engine.migrate import apply_migration, plan_migration
from leadflow.engine.rewind import apply_rewind, plan_rewind
from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import MessageFacts, Scope, Step
from leadflow.model.tenancy import Tenant
from support.engine_kit import DAY, HOUR, WELCOME, Kit

WELCOME_2 = WELCOME.replace("duration: 1d", "duration: 2d")
GOALS = ["sms.received"]


def _same(kit: Kit, what: str) -> dict[str, Any]:
    """The counted funnel and cohort grid equal the ones read from every row, per tenant."""
    out: dict[str, Any] = {}
    for tenant in ("default", "other"):
        scope = Scope(tenant)
        counted = report(compute(kit.store, scope, "welcome", Filters(), goals=GOALS))
        rows = report(load(kit.store, scope, "welcome", Filters(), goals=GOALS))
        assert counted == rows, (what, tenant)
        grid = cohorts(kit.store, scope, "welcome", Filters(), kit.now, goals=GOALS, weeks=2)
        runs = [r for r in kit.runs("welcome") if kit.contact(r.contact_id).tenant_id == tenant]
        assert sum(row["size"] for row in grid["rows"]) == len(runs), (what, tenant)
        out[tenant] = counted
    return out


def _other_tenant(kit: Kit) -> None:
    kit.store.create_tenant(Tenant("other", "Other"), kit.now)
    wf = publish(kit.store, kit.runtime.engine.catalog, load_text(WELCOME),
                 kit.now, kit.runtime.engine.registry, tenant_id="other")  # fmt: skip
    assert wf.key == "welcome"
    for i in range(3):
        kit.add_contact(f"o{i}", tenant_id="other")
    enroll(kit.store, kit.runtime.engine.catalog, "welcome", kit.now,
           contact_ids=["o0", "o1", "o2"], tenant_id="other")  # fmt: skip


def test_the_funnel_stays_exact_as_runs_advance_and_facts_arrive_later(kit: Kit) -> None:
    kit.publish(WELCOME)
    _other_tenant(kit)
    for i in range(6):
        kit.add_contact(f"c{i}", state="TX" if i % 2 else "NY")
    kit.enroll("welcome", *(f"c{i}" for i in range(6)))
    first = _same(kit, "enrolled")
    assert first["default"]["entered"] == 6 and first["other"]["entered"] == 3
    kit.run_until(kit.now + HOUR)
    _same(kit, "sent")
    kit.run_until(kit.now + 2 * DAY)
    done = _same(kit, "completed")
    assert done["default"]["entered"] == 6
    # delivery receipts, opens, clicks and a reply arrive after the report was made
    sent = [m for m in kit.messages() if m.id is not None and m.run_id is not None]
    assert sent
    facts = []
    for k, m in enumerate(sent):
        assert m.id is not None
        facts.append(
            MessageFacts(
                m.id,
                status="delivered" if k % 3 else "failed",
                delivered_at=kit.now if k % 3 else None,
                opened_at=kit.now + 1 if k % 2 else None,
                clicked_at=kit.now + 2 if k % 4 == 1 else None,
                replied_at=kit.now + 3 if k == 1 else None,
            )
        )
    kit.store.apply_message_facts(facts, kit.now)
    later = _same(kit, "message facts")
    assert later != done
    kit.emit("sms.received", "c1")
    _same(kit, "a goal event")


def test_the_funnel_stays_exact_after_a_rewind_a_migration_prune_and_erasure(kit: Kit) -> None:
    kit.publish(WELCOME)
    _other_tenant(kit)
    for i in range(5):
        kit.add_contact(f"c{i}", state="TX" if i % 2 else "NY")
    rids = kit.enroll("welcome", *(f"c{i}" for i in range(5)))
    kit.run_until(kit.now + 2 * DAY)
    _same(kit, "completed")
    # rewind a completed run to its first node
    run = kit.run(rids[0])
    assert run.status == "completed"
    contact = kit.store.get_contact(run.contact_id)
    wf = kit.runtime.engine.catalog.get("default", run.workflow_key, run.version)
    plan = plan_rewind(kit.store, kit.runtime.engine, run, contact, wf, kit.now, to_node="hello")
    apply_rewind(kit.store, run, plan, kit.now, "cli:tester")
    _same(kit, "rewound")
    kit.run_until(kit.now + HOUR)
    _same(kit, "rewound and advanced")
    # a migration moves the waiting run to version 2
    kit.publish(WELCOME_2)
    catalog = kit.runtime.engine.catalog
    moved = apply_migration(kit.store, catalog, plan_migration(kit.store, catalog, "welcome", 2),
                            kit.now)  # fmt: skip
    assert moved.moved == 1
    migrated = _same(kit, "migrated")
    assert any(row["version"] == 2 and row["current"] for row in migrated["default"]["nodes"])
    kit.run_until(kit.now + 3 * DAY)
    _same(kit, "migrated and finished")
    # prune the finished runs of the default tenant but one
    history = kit.store.prunable_runs(kit.now + DAY)
    seqs = {h.run.id: h.run.seq for h in history if h.run.contact_id in ("c2", "c3")}
    assert kit.store.delete_runs_history(seqs, kit.now + DAY) == sorted(seqs)
    pruned = _same(kit, "pruned")
    assert pruned["default"]["entered"] == 3
    # erase a contact: its runs stay, re-pointed to a pseudonym of no tenant
    assert kit.store.erase_contact("default", "c4", "cli:tester", kit.now) is not None
    erased = _same(kit, "erased")
    assert erased["default"]["entered"] == 2
    assert erased["other"]["entered"] == 3


def test_the_workers_job_folds_the_changed_runs_in_the_background(kit: Kit) -> None:
    assert any(j.name == "funnel_fold" for j in kit.runtime.engine.registry.jobs)
    kit.publish(WELCOME)
    _other_tenant(kit)
    for i in range(3):
        kit.add_contact(f"c{i}")
    kit.enroll("welcome", "c0", "c1", "c2")
    assert FunnelFold(kit.store).run(kit.now) == 0  # bookkeeping: no work in the stats
    assert kit.store.fold_run_facts() == 0  # nothing was left for a report to fold
    _same(kit, "folded by the job")


def _marks(kit: Kit) -> int | None:
    """Runs marked for the next fold (None: the memory backend keeps no summary)."""
    read = getattr(kit.store, "_read", None)
    if read is None:
        return None
    with read() as conn:
        return int(conn.execute("SELECT count(DISTINCT run_id) FROM funnel_dirty").fetchone()[0])


def test_the_workers_fold_waits_for_a_pass_with_no_leads_waiting(kit: Kit) -> None:
    """The fold is bookkeeping: a pass that moves runs leaves it for later; an idle pass an
    hour after the worker's first look makes it (a report is exact either way)."""
    kit.publish(WELCOME)
    _other_tenant(kit)
    for i in range(3):
        kit.add_contact(f"c{i}")
    kit.enroll("welcome", "c0", "c1", "c2")
    start = kit.now
    assert kit.settle(start) > 0  # busy: the texts go out, the runs wait a day
    sql = _marks(kit) is not None
    assert _marks(kit) == (6 if sql else None)  # both tenants' runs
    assert kit.tick(start + HOUR / 2) == 0  # idle, but within the hour: nothing folded
    assert _marks(kit) == (6 if sql else None)
    assert kit.tick(start + HOUR) == 0  # idle an hour after the first look: folded
    assert _marks(kit) == (0 if sql else None)
    _same(kit, "folded on an idle pass")


def test_a_pass_of_the_job_folds_at_most_its_limit_and_a_report_folds_the_rest(kit: Kit) -> None:
    """After an upgrade every run is marked: the worker's job must not hold a pass for the
    whole fold, so it takes ``limit`` marks at a time; a report still counts exactly."""
    kit.publish(WELCOME)
    for i in range(5):
        kit.add_contact(f"c{i}")
    kit.enroll("welcome", *(f"c{i}" for i in range(5)))  # five new runs, marked; no pass yet
    sql = type(kit.store).__name__ != "MemoryStore"
    assert kit.store.fold_run_facts(limit=2) == (2 if sql else 0)
    assert kit.store.fold_run_facts(limit=2) == (2 if sql else 0)
    scope = Scope("default")
    counted = report(compute(kit.store, scope, "welcome", Filters(), goals=GOALS))
    assert counted == report(load(kit.store, scope, "welcome", Filters(), goals=GOALS))
    assert counted["entered"] == 5
    assert kit.store.fold_run_facts() == 0  # the report folded what the job had left


def test_a_fold_that_took_its_whole_limit_comes_back_within_a_minute(kit: Kit) -> None:
    """A backlog (after an upgrade marked every run) is worked off on idle passes a minute
    apart, not one limit an hour; once it is gone the job is hourly again."""
    kit.publish(WELCOME)
    for i in range(5):
        kit.add_contact(f"c{i}")
    kit.enroll("welcome", *(f"c{i}" for i in range(5)))
    job = FunnelFold(kit.store)
    job.limit = 2
    sql = type(kit.store).__name__ != "MemoryStore"
    job.run(kit.now)
    assert job.interval_s == (60.0 if sql else 3600.0)
    job.run(kit.now)
    job.run(kit.now)  # the last one: 1 left, under the limit
    assert job.interval_s == 3600.0
    assert kit.store.fold_run_facts() == 0


def test_a_step_that_leaves_its_run_where_it_was_still_reaches_the_funnel(kit: Kit) -> None:
    """A commit may add a step without moving its run (same node, same status: a retry, an
    outcome noted in place): the run's new seq marks it, so the funnel counts the step."""
    kit.publish(WELCOME)
    kit.add_contact("c0")
    (rid,) = kit.enroll("welcome", "c0")
    kit.settle(kit.now)  # the text is queued and the run sleeps at "pause"
    scope = Scope("default")

    def counted_equals_rows() -> dict[str, Any]:
        counted = report(compute(kit.store, scope, "welcome", Filters(), goals=GOALS))
        assert counted == report(load(kit.store, scope, "welcome", Filters(), goals=GOALS))
        return counted

    before = counted_equals_rows()
    run = kit.run(rid)
    adv = new_advance(run)
    adv.step_seq += 1
    adv.steps.append(Step(rid, "check", "branch", adv.step_seq, 0, "case:0", kit.now))
    assert kit.store.commit_advances("tester", [adv], kit.now).applied == 1
    after = counted_equals_rows()
    assert kit.run(rid).node == run.node and kit.run(rid).status == run.status
    assert after != before  # the step at "check" is counted
