"""SQLite specifics: WAL, error wrapping, persistence, two connections racing, rollback."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from lf_builders import T0, add_contacts, advance, enroll_one, event, make_store, message, step

from leadflow.errors import StoreError
from leadflow.store import open_store
from leadflow.store.records import ContactPatch, MessageFilter, RunFilter
from leadflow.store.sqlite import SQLiteStore


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
    barrier = threading.Barrier(workers)
    claimed: list[list[int]] = [[] for _ in range(workers)]
    applied = [0] * workers
    errors: list[BaseException] = []

    def work(i: int) -> None:
        s = stores[i % 2]
        try:
            barrier.wait()
            while batch := s.claim_runs(f"w{i}", T0, 7, 300):
                claimed[i] += [c.run.id for c in batch]
                res = s.commit_advances(
                    f"w{i}", [advance(c.run, steps=[step(c.run)]) for c in batch], T0
                )
                applied[i] += res.applied
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
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
