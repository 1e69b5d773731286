"""Schema versions, migrations and the check that refuses an out-of-date database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leadflow.cli.app import app
from leadflow.errors import InvalidInput, SchemaOutOfDate, StoreError
from leadflow.model.records import EnrollRequest, MessageFilter, RunFilter
from leadflow.store import Store, open_store, sqlfiles
from leadflow.store.memory import MemoryStore
from leadflow.store.sqlite import SQLiteStore
from support.records import (
    T0,
    add_contacts,
    advance,
    enroll_one,
    event,
    later_tables,
    message,
    step,
)
from support.stores import sqlite_url
from support.upgrade_data import everything, write_some_of_everything


def test_store_is_at_latest_version(store: Store) -> None:
    assert store.schema_version() == store.latest_schema_version() >= 1
    store.check_schema()
    assert store.upgrade() == []  # a second upgrade is a no-op


def test_memory_store_starts_empty_and_upgrades() -> None:
    s = MemoryStore()
    assert s.schema_version() == 0
    with pytest.raises(SchemaOutOfDate):
        s.check_schema()
    assert s.upgrade() == [m.version for m in sqlfiles.migrations("sqlite")]
    assert s.upgrade() == []
    s.check_schema()


def test_fresh_sqlite_database_is_version_zero_and_refused(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "fresh.db")
    raw = SQLiteStore(url)  # opening never upgrades
    assert raw.schema_version() == 0
    raw.close()
    with pytest.raises(SchemaOutOfDate) as info:
        open_store(url)
    assert "leadflow db upgrade" in info.value.message
    assert url in info.value.message
    assert "empty" in info.value.message
    raw = SQLiteStore(url)
    assert raw.schema_version() == 0  # refusing changed nothing
    assert raw.upgrade() == [m.version for m in sqlfiles.migrations("sqlite")]
    assert raw.upgrade() == []
    raw.close()
    opened = open_store(url)
    assert opened.schema_version() == opened.latest_schema_version()
    opened.close()


def _with_extra_migration(monkeypatch: pytest.MonkeyPatch, sql: str) -> int:
    """Make SQLiteStore see one more migration after the shipped ones; return its version."""
    shipped = sqlfiles.migrations("sqlite")
    version = shipped[-1].version + 1
    extra = sqlfiles.Migration(version, f"{version:04d}_test.sql", sql)
    monkeypatch.setattr(SQLiteStore, "_migrations", lambda self: [*shipped, extra])
    return version


def test_older_database_with_data_is_upgraded_keeping_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_url(tmp_path / "old.db")
    old = SQLiteStore(url)
    old.upgrade()
    add_contacts(old, "c1", "c2")
    run = enroll_one(old, "c1")
    old.close()
    current = sqlfiles.latest_version("sqlite")

    new_version = _with_extra_migration(
        monkeypatch,
        "ALTER TABLE contacts ADD COLUMN nickname TEXT;\n"
        "-- a comment between statements\n"
        "CREATE TABLE extra (id INTEGER PRIMARY KEY, note TEXT);\n"
        "UPDATE contacts SET nickname = 'n-' || id;\n",
    )
    with pytest.raises(SchemaOutOfDate) as info:
        open_store(url)
    assert f"at schema version {current}" in info.value.message
    assert "leadflow db upgrade" in info.value.message

    s = SQLiteStore(url)
    assert s.schema_version() == current
    assert s.upgrade() == [new_version]
    assert s.upgrade() == []
    assert s.schema_version() == new_version == s.latest_schema_version()
    s.check_schema()
    assert s.count_contacts() == 2
    assert s.get_run(run.id) == run
    conn = s._conn
    assert conn is not None
    assert sorted(conn.execute("SELECT nickname FROM contacts")) == [("n-c1",), ("n-c2",)]
    s.close()


def test_failing_migration_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = sqlite_url(tmp_path / "fail.db")
    s = SQLiteStore(url)
    s.upgrade()
    current = s.schema_version()
    _with_extra_migration(
        monkeypatch,
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n",
    )
    with pytest.raises(StoreError) as info:
        s.upgrade()
    assert info.value.__cause__ is not None
    assert s.schema_version() == current
    conn = s._conn
    assert conn is not None
    found = conn.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall()
    assert found == []
    s.close()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "new.db")
    s = SQLiteStore(url)
    s.upgrade()
    conn = s._conn
    assert conn is not None
    conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, ?)", (T0,))
    with pytest.raises(SchemaOutOfDate) as info:
        s.check_schema()
    assert "newer" in info.value.message
    s.close()


def test_migration_files_ship_in_the_package() -> None:
    found = sqlfiles.migrations("sqlite")
    assert found and found[0].name == "0001_init.sql"
    statements = found[0].statements()
    assert any(s.startswith("CREATE TABLE runs") for s in statements)
    assert all(not s.startswith("--") for s in statements)


def test_split_statements_handles_triggers_and_comments() -> None:
    sql = (
        "-- head\nCREATE TABLE a (x);\n\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  UPDATE a SET x = 1;\n  UPDATE a SET x = 2;\nEND;\nINSERT INTO a VALUES ('a;b');\n"
    )
    parts = sqlfiles.split_statements(sql)
    assert len(parts) == 3
    assert parts[1].startswith("CREATE TRIGGER") and parts[1].endswith("END;")
    assert parts[2] == "INSERT INTO a VALUES ('a;b');"


def test_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rel = SQLiteStore("sqlite:///rel/dir/x.db")  # relative, parent folders are made
    rel.upgrade()
    rel.close()
    assert (tmp_path / "rel" / "dir" / "x.db").exists()
    absolute = open_store(f"sqlite:///{tmp_path / 'rel' / 'dir' / 'x.db'}")
    assert absolute.schema_version() >= 1
    absolute.close()
    with pytest.raises(InvalidInput):
        open_store("mysql://nowhere/db")
    with pytest.raises(InvalidInput):
        SQLiteStore("sqlite://relative.db")


def test_closed_store_raises_store_error(tmp_path: Path) -> None:
    s = SQLiteStore(sqlite_url(tmp_path / "c.db"))
    s.close()
    s.close()  # twice is fine
    with pytest.raises(StoreError):
        s.schema_version()


def test_version_1_database_upgrades_to_2_keeping_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0002 is applied to a database made by 0001 alone (as shipped before 0002 existed)."""
    shipped = sqlfiles.migrations("sqlite")
    assert [m.name for m in shipped[:2]] == ["0001_init.sql", "0002_due_and_lookup_indexes.sql"]
    url = sqlite_url(tmp_path / "v1.db")
    monkeypatch.setattr(SQLiteStore, "_migrations", lambda self: shipped[:1])
    old = SQLiteStore(url)
    assert old.upgrade() == [1] and old.schema_version() == 1
    conn = old._conn
    assert conn is not None
    creates, drops = later_tables("sqlite", 1)
    for statement in creates:
        conn.execute(statement)
    run = write_some_of_everything(old)
    before = everything(old)  # read while the later tables and columns are there
    for statement in drops:
        conn.execute(statement)
    old.close()

    monkeypatch.setattr(SQLiteStore, "_migrations", lambda self: shipped[:2])
    s = SQLiteStore(url)
    assert s.schema_version() == 1
    with pytest.raises(SchemaOutOfDate):
        s.check_schema()
    assert s.upgrade() == [2]
    assert s.schema_version() == 2 == s.latest_schema_version()
    s.check_schema()
    for statement in creates:  # today's code reads the later tables and columns
        s._conn.execute(statement)
    assert everything(s) == before
    conn = s._conn
    assert conn is not None
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"runs_workflow", "events_due"} <= indexes
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # the new queries work on the upgraded data
    assert s.sent_counts_since(["c1", "c2"], T0) == {"c1": 1, "c2": 0}
    assert [r.id for r in s.runs_of_contacts(["c1", "c2"])["c1"]] == [run.id]
    assert s.count_runs("wf") == {"waiting": 1}
    assert s.upgrade() == []
    s.close()


def _db_status(url: str, exit_code: int = 0) -> dict[str, Any]:
    """``leadflow db status --json`` (it exits 1 while the database is not up to date)."""
    result = CliRunner().invoke(app, ["db", "status", "--db", url, "--json"])
    assert result.exit_code == exit_code, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_version_4_database_upgrades_to_5_and_remembers_what_is_pruned_from_then_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0005 (enrollment marks, id high-water marks) is applied to a database made by 0001-0004
    with runs, messages and events in it; `db status` says 4, then 5."""
    shipped = sqlfiles.migrations("sqlite")
    assert shipped[4].name == "0005_enrollment_marks.sql"
    url = sqlite_url(tmp_path / "v4.db")
    monkeypatch.setattr(SQLiteStore, "_migrations", lambda self: shipped[:4])
    old = SQLiteStore(url)
    assert old.upgrade() == [1, 2, 3, 4]
    conn = old._conn
    assert conn is not None
    creates, drops = later_tables("sqlite", 4)
    for statement in creates:
        conn.execute(statement)
    add_contacts(old, "c1", "c2")
    run = enroll_one(old, "c1", reentry="never")
    msg = message(run, "m1", status="sent", sent_at=T0 + 1)
    old.commit_advances(
        "w",
        [
            advance(
                run, status="completed", node="end", wake_at=None, steps=[step(run)], messages=[msg]
            )
        ],
        T0 + 1,
    )
    old.append_events([event("t", "c2", "e1", at=T0 + 5)], T0)
    for statement in drops:
        conn.execute(statement)
    before = (old.list_runs(RunFilter()), old.all_steps(), old.list_messages(MessageFilter()))
    assert old.schema_version() == 4
    old.close()
    monkeypatch.undo()  # this build's migrations again: 0001 to the latest

    status = _db_status(url, exit_code=1)
    latest = status["latest"]
    assert latest >= 5
    assert status == {"db": url, "current": 4, "latest": latest, "up_to_date": False}
    with pytest.raises(SchemaOutOfDate):
        open_store(url)
    s = SQLiteStore(url)
    assert s.upgrade() == [m.version for m in sqlfiles.migrations("sqlite") if m.version >= 5]
    s.check_schema()
    assert (s.list_runs(RunFilter()), s.all_steps(), s.list_messages(MessageFilter())) == before
    assert [e.dedupe_key for e in s.list_events()] == ["e1"]
    upgraded = s.get_run(run.id)
    assert upgraded is not None and upgraded.status == "completed"

    # the run finished before the upgrade is pruned after it: c1 stays out of the workflow
    cutoff = T0 + 100 * 86400.0
    seqs = {h.run.id: h.run.seq for h in s.prunable_runs(cutoff)}
    assert s.delete_runs_history(seqs, cutoff) == [run.id]
    out = s.enroll([EnrollRequest("wf", 1, c, "start", {}, "never") for c in ("c1", "c2")], cutoff)
    assert (out.created, out.skipped) == (1, 1)
    assert [r.contact_id for r in s.list_runs(RunFilter())] == ["c2"]
    conn = s._conn
    assert conn is not None
    marks = conn.execute(
        "SELECT contact_id, workflow_key, runs, last_created_at FROM enrollment_marks"
    )
    assert marks.fetchall() == [("c1", "wf", 1, T0)]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    s.close()
    assert _db_status(url) == {"db": url, "current": latest, "latest": latest, "up_to_date": True}
