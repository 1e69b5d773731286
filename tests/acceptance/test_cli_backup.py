"""``leadflow db backup PATH``: a consistent copy of a database in use."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from leadflow.model.records import NewEvent
from leadflow.store.factory import open_store
from support.cli import Leadflow, assert_fails, sqlite_url

GOOD = [  # RESO columns: ContactKey, FirstName, LastName, Email, MobilePhone, TimeZone, State
    ["a1", "Ana", "Ames", "ana@example.com", "+14155550101", "America/Los_Angeles", "CA"],
    ["b2", "Ben", "Bell", "ben@example.com", "+14155550102", "America/Chicago", "IL"],
]


def test_backup_is_a_working_database_with_the_same_data(ready: Leadflow, tmp_path: Path) -> None:
    ready.import_contacts(GOOD)
    dest = tmp_path / "backups" / "copy.db"
    out = ready.json("db", "backup", dest)
    assert out["path"] == str(dest) and out["method"] == "sqlite-online-backup"
    assert dest.stat().st_size == out["bytes"] > 0
    assert not dest.with_name("copy.db.partial").exists()
    copy = Leadflow(tmp_path)
    copy.db = sqlite_url(dest)
    assert [c["id"] for c in copy.json("contacts", "list")] == ["a1", "b2"]
    assert [w["key"] for w in copy.json("workflows", "list")] == ["new-lead-welcome"]


def test_backup_never_overwrites_unless_asked(ready: Leadflow, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    dest.write_text("precious")
    assert_fails(ready("db", "backup", dest), "exists", "--overwrite")
    assert dest.read_text() == "precious"
    ready.ok("db", "backup", dest, "--overwrite")
    with sqlite3.connect(dest) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_backup_of_a_missing_database_is_refused(lf: Leadflow, tmp_path: Path) -> None:
    assert_fails(lf("db", "backup", tmp_path / "copy.db"), "does not exist")
    assert not (tmp_path / "copy.db").exists()


def test_backup_while_another_process_writes_is_consistent(ready: Leadflow, tmp_path: Path) -> None:
    store = open_store(ready.db)
    stop = threading.Event()
    written = []

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 5000:
            store.append_events([NewEvent("note", None, {"i": i}, f"k{i}", 1.0)], 1.0)
            written.append(i)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for n in range(3):
            ready.ok("db", "backup", tmp_path / f"copy{n}.db")
    finally:
        stop.set()
        thread.join()
        store.close()
    for n in range(3):
        with sqlite3.connect(tmp_path / f"copy{n}.db") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            (count,) = conn.execute("SELECT count(*) FROM events").fetchone()
            assert 0 <= count <= len(written)


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_postgres_backup_needs_a_reachable_server_and_says_why(
    lf: Leadflow, tmp_path: Path
) -> None:
    url = "postgresql://nobody:s3cret@127.0.0.1:1/none"
    result = lf("db", "backup", tmp_path / "pg.dump", "--db", url, db=False)
    text = assert_fails(result, "pg_dump failed")
    assert "s3cret" not in text  # the password never appears
    assert not (tmp_path / "pg.dump").exists()


def _postgres_up() -> bool:
    tool = shutil.which("pg_isready")
    if tool is None:
        return False
    return subprocess.run([tool, "-h", "127.0.0.1", "-p", "5432"], check=False).returncode == 0


@pytest.mark.skipif(
    shutil.which("pg_dump") is None or not _postgres_up(),
    reason="pg_dump or a PostgreSQL server on 127.0.0.1:5432 is not available",
)
def test_postgres_backup_with_pg_dump(lf: Leadflow, tmp_path: Path) -> None:
    dest = tmp_path / "pg.dump"
    out = lf.json(
        "db", "backup", dest, "--db", "postgresql://postgres@127.0.0.1:5432/test", db=False
    )
    assert out["method"] == "pg_dump" and dest.stat().st_size == out["bytes"] > 0
    assert dest.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
