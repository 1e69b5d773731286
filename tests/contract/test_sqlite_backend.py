"""SQLite specifics: WAL, error wrapping, persistence, two connections racing, rollback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from leadflow.errors import StoreError
from leadflow.model.records import ContactPatch, MessageFilter, RunFilter
from leadflow.store import open_store
from leadflow.store.sqlite import SQLiteStore
from support.records import T0, add_contacts, advance, enroll_one, event, message, step
from support.stores import make_store
from support.threads import at_once


@pytest.fixture
def db(tmp_path: Path) -> str:
    s = make_store("sqlite", tmp_path)
    url = s.url
    s.close()
    return url


def _open(url: str) -> SQLiteStore:
    s = open_store(url)
    assert isinstance(s, SQLiteStore)
    return s


def test_wal_and_pragmas(db: str) -> None:
    s = _open(db)
    assert s.journal_mode() == "wal"
    conn = s._conn
    assert conn is not None
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    s.close()
    raw = sqlite3.connect(s.path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent
    raw.close()


def test_errors_are_wrapped_with_cause(db: str) -> None:
    s = _open(db)
    add_contacts(s, "a")
    run = enroll_one(s, "a")
    m = message(run, "m")
    m.channel = None  # type: ignore[assignment]
    with pytest.raises(StoreError) as info:
        s.commit_advances("w", [advance(run, messages=[m])], T0)
    assert isinstance(info.value.__cause__, sqlite3.IntegrityError)
    assert "NOT NULL" in info.value.message
    s.close()


def test_data_persists_across_connections(db: str) -> None:
    s = _open(db)
    add_contacts(s, "a")
    run = enroll_one(s, "a")
    s.commit_advances("w", [advance(run, steps=[step(run)], messages=[message(run, "m")])], T0)
    s.close()
    again = _open(db)
    got = again.get_run(run.id)
    assert got is not None and got.seq == 1
    assert len(again.all_steps()) == 1 and again.find_message("m") is not None
    again.close()


def test_rollback_when_a_late_part_of_the_commit_fails(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = _open(db)
    add_contacts(s, "a")
    run = enroll_one(s, "a")
    adv = advance(
        run,
        steps=[step(run)],
        messages=[message(run, "m")],
        contact_patches=[ContactPatch("a", set={"stage": "x"})],
        events=[event("t", "a", "k")],
    )

    def boom(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setattr(SQLiteStore, "_append_events", boom)  # the last thing a commit does
    with pytest.raises(StoreError) as info:
        s.commit_advances("w", [adv], T0)
    assert isinstance(info.value.__cause__, sqlite3.OperationalError)
    monkeypatch.undo()
    got = s.get_run(run.id)
    assert got is not None and got.seq == 0
    assert s.all_steps() == [] and s.list_messages(MessageFilter()) == []
    contact = s.get_contact("a")
    assert contact is not None and contact.stage is None
    assert s.commit_advances("w", [adv], T0).applied == 1  # the connection is usable
    s.close()


def test_two_connections_never_claim_the_same_run(db: str) -> None:
    setup = _open(db)
    add_contacts(setup, *(f"c{i:04d}" for i in range(600)))
    assert setup.enroll_all("wf", 1, "start", T0, reentry="always").created == 600
    setup.close()

    stores = [_open(db), _open(db)]
    workers = 6
    claimed: list[list[int]] = [[] for _ in range(workers)]
    applied = [0] * workers

    def work(i: int) -> None:
        s = stores[i % 2]
        while batch := s.claim_runs(f"w{i}", T0, 7, 300):
            claimed[i] += [c.run.id for c in batch]
            res = s.commit_advances(
                f"w{i}", [advance(c.run, steps=[step(c.run)]) for c in batch], T0
            )
            applied[i] += res.applied

    assert at_once(work, workers) == []
    every = [rid for ids in claimed for rid in ids]
    assert len(every) == len(set(every)) == 600
    assert sum(applied) == 600
    check = stores[0]
    assert check.count_runs() == {"waiting": 600}
    assert len(check.all_steps()) == 600
    assert all(r.seq == 1 for r in check.list_runs(RunFilter(limit=1000)))
    for s in stores:
        s.close()


def test_concurrent_seq_guard_across_connections(db: str) -> None:
    a, b = _open(db), _open(db)
    add_contacts(a, "x")
    run = enroll_one(a, "x")
    seen = b.get_run(run.id)
    assert seen is not None
    assert a.commit_advances("w1", [advance(run, node="from-a")], T0).applied == 1
    res = b.commit_advances("w2", [advance(seen, node="from-b")], T0)
    assert res.conflicted_run_ids == [run.id]
    final = b.get_run(run.id)
    assert final is not None and final.node == "from-a"
    a.close()
    b.close()


def _plan(s: SQLiteStore, sql: str, params: tuple[object, ...] = ()) -> list[str]:
    conn = s._conn
    assert conn is not None
    return [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_next_due_at_reads_through_indexes(db: str) -> None:
    from leadflow.store.sqlite import _DUE_QUERIES

    s = _open(db)
    for first, held in _DUE_QUERIES:
        for sql, params in ((first, ()), (held, (T0,))):
            plan = _plan(s, sql, params)
            assert len(plan) == 1 and "USING INDEX" in plan[0], (sql, plan)
    s.close()


def test_workflow_queries_use_the_workflow_index(db: str) -> None:
    s = _open(db)
    for sql in (
        "SELECT id FROM runs WHERE workflow_key = ? ORDER BY id LIMIT 10",
        "SELECT status, count(*) FROM runs WHERE workflow_key = ? GROUP BY status",
    ):
        assert "INDEX runs_workflow" in _plan(s, sql, ("wf",))[0]
    s.close()


def _vm_steps(s: SQLiteStore) -> int:
    """SQLite VM instructions run by next_due_at (a measure of rows touched, clock-free)."""
    conn = s._conn
    assert conn is not None
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0

    conn.set_progress_handler(tick, 1)
    try:
        s.next_due_at()
    finally:
        conn.set_progress_handler(None, 1)
    return count[0]


@pytest.mark.parametrize("waiting", [200, 20_000])
def test_next_due_at_cost_does_not_grow_with_waiting_runs(tmp_path: Path, waiting: int) -> None:
    s = make_store("sqlite", tmp_path)
    assert isinstance(s, SQLiteStore)
    # 50 runs in flight, held past their wake_at (T0) until T0+5 ...
    add_contacts(s, *(f"a{i:02d}" for i in range(50)))
    s.enroll_all("early", 1, "start", T0)
    assert len(s.claim_runs("w", T0, 50, 5)) == 50
    # ... and many more waiting, due later
    add_contacts(s, *(f"c{i:05d}" for i in range(waiting)))
    s.enroll_all("late", 1, "start", T0 + 10)
    assert s.count_runs() == {"active": 100 + waiting}
    assert s.next_due_at() == T0 + 5  # the held runs' lease expiry comes first
    steps = _vm_steps(s)
    s.close()
    # the same bound for 200 and for 20,000 waiting runs: only the 50 held runs are read
    assert steps < 5_000, steps


def test_writes_of_runs_and_messages_build_no_temporary_btree(db: str) -> None:
    """Migration 0270: the status checks and messages_due's condition are comparisons, so a write
    of a run or a message (run once per row) builds no temporary b-tree of IN-list constants."""
    from leadflow.store.sql_common import UPDATE_FACTS, UPDATE_RUN, update_message_sql
    from leadflow.store.sqlite import _INSERT_MESSAGE, _INSERT_RUN

    s = _open(db)
    conn = s._conn
    assert conn is not None
    for sql in (_INSERT_MESSAGE, _INSERT_RUN, UPDATE_RUN, UPDATE_FACTS, update_message_sql("?")):
        ops = [str(r[1]) for r in conn.execute("EXPLAIN " + sql, [None] * sql.count("?"))]
        assert "OpenEphemeral" not in ops, sql
    s.close()


def test_status_checks_refuse_what_they_refused_before(db: str) -> None:
    """The checks rewritten by migration 0270 accept every status and nothing else."""
    s = _open(db)
    conn = s._conn
    assert conn is not None
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    add_contacts(s, "c1")
    run = enroll_one(s, "c1")
    s.queue_messages([message(None, "k1", contact_id=run.contact_id)], T0)
    statuses = {
        "runs": ("active", "waiting", "paused", "completed", "exited", "failed", "cancelled"),
        "messages": ("pending", "deferred", "sending", "sent", "delivered", "failed", "suppressed"),
        "webhook_deliveries": ("pending", "delivered", "failed"),
        "crm_deliveries": ("pending", "done", "failed"),
    }
    for table, allowed in statuses.items():
        (table_sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
        check = "CHECK (" + " OR ".join(f"status = '{s}'" for s in allowed) + "),"
        assert check in table_sql and "status IN" not in table_sql, table_sql
        if table in ("runs", "messages"):
            for status in allowed:
                conn.execute(f"UPDATE {table} SET status = ?", (status,))
            for wrong in ("asleep", "", "Active", None):
                with pytest.raises(sqlite3.IntegrityError):
                    conn.execute(f"UPDATE {table} SET status = ?", (wrong,))
    conn.commit()
    s.close()


def test_due_messages_are_picked_through_their_index(db: str) -> None:
    from leadflow.store.sqlite import _PICK_MESSAGES

    s = _open(db)
    params = {"now": T0, "owner": "w", "limit": 10}
    plan = _plan(s, _PICK_MESSAGES, params)  # type: ignore[arg-type]
    assert any("INDEX messages_due" in p for p in plan), plan
    s.close()
