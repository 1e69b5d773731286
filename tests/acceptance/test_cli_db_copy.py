"""``leadflow db copy``: a demo installation moved from SQLite to PostgreSQL keeps its history
(the same runs, messages, events and funnel), its ids go on from where they were, and a copy
that is interrupted resumes where it stopped."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from leadflow.errors import InvalidInput
from leadflow.model.meta import MetaPage
from leadflow.model.senders import Sender
from leadflow.store.copy import PROGRESS_TABLE, copy_database
from leadflow.store.factory import open_store
from support.cli import (
    CONSOLE_SCRIPT,
    WELCOME_KEY,
    Leadflow,
    assert_fails,
    run_script,
    subprocess_env,
)
from support.postgres import postgres_database


class Stop(Exception):
    """Stands for the copy's process dying between two batches."""


def reports(lf: Leadflow, db: str) -> dict[str, Any]:
    """What a user reads from an installation."""
    runs = lf.json("runs", "list", "--limit", "100000", "--db", db, db=False)
    messages = lf.json("messages", "list", "--limit", "100000", "--db", db, db=False)
    events = lf.json("events", "list", "--limit", "100000", "--db", db, db=False)
    funnel = lf.json("analytics", "funnel", WELCOME_KEY, "--db", db, db=False)
    contacts = lf.json("contacts", "list", "--limit", "100000", "--db", db, db=False)
    return {
        "runs": runs,
        "messages": messages,
        "events": events,
        "funnel": funnel,
        "contacts": contacts,
    }


def table_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [
            n
            for (n,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT IN ('schema_migrations', 'id_high_water', "
                "'run_facts', 'funnel_paths', 'funnel_dirty')"  # made again on the target
            )
        ]
        return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}


@pytest.fixture
def demo(lf: Leadflow, tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "demo.db"
    url = f"sqlite:///{path}"
    lf.ok("demo", "--leads", "40", "--days", "4", "--db", url, db=False)
    return path, url


def test_a_demo_copied_to_postgres_reads_the_same_and_goes_on(
    lf: Leadflow, demo: tuple[Path, str]
) -> None:
    path, source = demo
    before = reports(lf, source)
    assert len(before["runs"]) == 40 and len(before["messages"]) > 40 and before["events"]
    counts = table_counts(path)
    with postgres_database(empty=True) as target:
        out = lf.json(
            "db", "copy", "--from", source, "--to", target, "--batch-size", "25", db=False
        )
        assert out["resumed"] is False
        per_table = {t["table"]: t for t in out["tables"]}
        assert {t: c["source_rows"] for t, c in per_table.items()} == counts
        assert all(c["target_rows"] == c["source_rows"] for c in per_table.values())
        assert out["rows"] == sum(counts.values())
        # contacts before the runs that name them (foreign-key order)
        order = [t["table"] for t in out["tables"]]
        assert order.index("contacts") < order.index("runs") < order.index("steps")

        after = reports(lf, target)
        assert after == before

        # ids go on after the copied ones: a new event on PostgreSQL gets the next id
        top = max(e["id"] for e in before["events"])
        contact = before["contacts"][0]["id"]
        lf.ok("events", "emit", "lead.updated", "--contact", contact, "--db", target, db=False)
        newest = lf.json("events", "list", "--after", str(top), "--db", target, db=False)
        assert [e["type"] for e in newest] == ["lead.updated"] and newest[0]["id"] > top

        # a second copy into the same (now used) database is refused
        again = lf("db", "copy", "--from", source, "--to", target, db=False)
        assert_fails(again, "is not empty", "copy into a fresh database")


def test_an_interrupted_copy_resumes_where_it_stopped(lf: Leadflow, demo: tuple[Path, str]) -> None:
    path, source = demo
    before = reports(lf, source)
    batches: list[tuple[str, int]] = []

    def die_after_five(table: str, rows: int) -> None:
        batches.append((table, rows))
        if len(batches) == 5:
            raise Stop

    with postgres_database(empty=True) as target:
        with pytest.raises(Stop):
            copy_database(source, target, batch_size=10, after_batch=die_after_five)
        with psycopg.connect(target) as conn:
            progress = dict(
                conn.execute(f"SELECT table_name, rows_copied FROM {PROGRESS_TABLE}").fetchall()
            )
        table, rows = batches[-1]
        assert progress[table] == rows  # the marker is where the last batch committed

        # without --resume the half-copied database is refused, naming the way out
        refused = lf("db", "copy", "--from", source, "--to", target, db=False)
        assert_fails(refused, "interrupted copy", "--resume")

        resumed: list[tuple[str, int]] = []
        report = copy_database(
            source,
            target,
            resume=True,
            batch_size=10,
            after_batch=lambda t, r: resumed.append((t, r)),
        )
        assert report.resumed
        # nothing copied twice: the first batch after the resume continues the marker
        assert resumed[0][0] == table and resumed[0][1] > rows
        counts = table_counts(path)
        assert {t.table: t.target_rows for t in report.tables} == counts
        assert sum(t.copied_now for t in report.tables) == sum(counts.values()) - sum(
            progress.values()
        )
        assert reports(lf, target) == before
        with psycopg.connect(target) as conn:
            gone = conn.execute("SELECT to_regclass(%s)", (PROGRESS_TABLE,)).fetchone()
        assert gone == (None,)  # a finished copy leaves no marker behind


def test_bad_urls_and_a_missing_source_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="--from: no SQLite database"):
        copy_database(f"sqlite:///{tmp_path / 'nope.db'}", "postgresql://x@127.0.0.1/none")
    with pytest.raises(InvalidInput, match="--to: the target must be a PostgreSQL URL"):
        copy_database(f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}")
    with pytest.raises(InvalidInput, match="--batch-size"):
        copy_database("sqlite:///a.db", "postgresql://x@h/d", batch_size=0)


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def rows_of(sqlite_path: Path, pg_url: str, table: str) -> tuple[list[Any], list[Any]]:
    """The table's rows on both sides, cells normalised (booleans, numbers), same order."""
    with psycopg.connect(pg_url) as pg:
        cur = pg.execute(f'SELECT * FROM "{table}" LIMIT 0')
        names = [d.name for d in cur.description or []]
        with sqlite3.connect(sqlite_path) as lite:
            have = {r[1] for r in lite.execute(f'PRAGMA table_info("{table}")')}
            cols = [n for n in names if n in have]
            listed = ", ".join(f'"{c}"' for c in cols)
            theirs = lite.execute(f'SELECT {listed} FROM "{table}"').fetchall()
        ours = pg.execute(f'SELECT {listed} FROM "{table}"').fetchall()

    def norm(rows: list[Any]) -> list[Any]:
        return sorted((tuple(_cell(v) for v in r) for r in rows), key=repr)

    return norm(theirs), norm(ours)


def test_every_row_of_every_table_arrives_as_it_was(lf: Leadflow, demo: tuple[Path, str]) -> None:
    path, source = demo
    # tables keyed without a rowid (composite keys) get rows too, across several batches
    store = open_store(source)
    try:
        store.save_meta_page(MetaPage("123", "default", "Acme", "EAAtoken123"), 1.0)
        for i in range(23):
            store.link_messenger("default", "123", f"psid-{i:02d}", f"c{i}", 2.0)
        store.add_sender(Sender("default", "phone", "+15125550100"), 3.0)
    finally:
        store.close()
    with postgres_database(empty=True) as target:
        copy_database(source, target, batch_size=7)
        for table in table_counts(path):
            theirs, ours = rows_of(path, target, table)
            assert theirs == ours, table
        assert len(rows_of(path, target, "messenger_links")[1]) == 23
        # the sandbox ledger's order (SQLite's rowid) is PostgreSQL's seq column
        with sqlite3.connect(path) as lite:
            order = lite.execute(
                "SELECT rowid, idempotency_key FROM sandbox_deliveries ORDER BY rowid"
            ).fetchall()
        with psycopg.connect(target) as pg:
            seqs = pg.execute(
                "SELECT seq, idempotency_key FROM sandbox_deliveries ORDER BY seq"
            ).fetchall()
        assert order and [tuple(r) for r in seqs] == [tuple(r) for r in order]


def test_a_migrated_but_unused_database_is_an_empty_target(
    lf: Leadflow, demo: tuple[Path, str]
) -> None:
    _, source = demo
    with postgres_database() as target:  # `leadflow db upgrade` was run there, nothing else
        out = lf.json("db", "copy", "--from", source, "--to", target, db=False)
        assert out["rows"] > 0 and not out["resumed"]


@pytest.mark.subprocess
def test_a_copy_killed_mid_way_resumes_from_the_command_line(
    lf: Leadflow, demo: tuple[Path, str], tmp_path: Path
) -> None:
    path, source = demo
    before = reports(lf, source)
    with postgres_database(empty=True) as target:
        argv = [str(CONSOLE_SCRIPT), "db", "copy", "--from", source, "--to", target]
        proc = subprocess.Popen(
            [*argv, "--batch-size", "1"],
            cwd=tmp_path,
            env=subprocess_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        copied = 0
        deadline = time.monotonic() + 60
        try:
            while copied < 50 and time.monotonic() < deadline and proc.poll() is None:
                copied = progress_rows(target)
                time.sleep(0.02)  # watching another process, not waiting for a timer
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert copied >= 50, "the copy never got going"
        assert progress_rows(target) < sum(table_counts(path).values())  # really mid-way

        refused = run_script(*argv[1:], cwd=tmp_path)
        assert refused.returncode == 1 and "--resume" in refused.stdout + refused.stderr
        done = run_script(*argv[1:], "--resume", "--json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["resumed"] is True
        assert {t["table"]: t["target_rows"] for t in out["tables"]} == table_counts(path)
        assert reports(lf, target) == before


def progress_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass(%s)", (PROGRESS_TABLE,)).fetchone() == (None,):
            return 0
        row = conn.execute(f"SELECT COALESCE(SUM(rows_copied), 0) FROM {PROGRESS_TABLE}").fetchone()
        return int(row[0]) if row else 0
