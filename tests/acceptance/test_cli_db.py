"""``leadflow init``, ``db upgrade``, ``db status``, and refusing a database that is not ready."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from leadflow.store import sqlfiles
from support.cli import EXAMPLE, Leadflow, assert_fails, sqlite_url, squash, write_csv


def latest_schema(lf: Leadflow) -> int:
    """The schema version this build of leadflow brings a database to (``db status``)."""
    latest: int = lf.json("db", "status")["latest"]
    assert latest >= 1
    return latest


def test_init_creates_the_database_and_is_idempotent(lf: Leadflow) -> None:
    first = lf.ok("init")
    assert lf.db_path.is_file()
    latest = latest_schema(lf)
    applied = [m.version for m in sqlfiles.migrations("sqlite")]
    assert f"schema version {latest} (applied migrations {applied})" in squash(first.stdout)
    again = lf.ok("init")
    assert f"schema version {latest} (already up to date)" in squash(again.stdout)


def test_db_upgrade_then_status_says_up_to_date(lf: Leadflow) -> None:
    lf.ok("db", "upgrade")
    status = lf.ok("db", "status")
    latest = latest_schema(lf)
    assert f"schema version {latest}, up to date" in squash(status.stdout)
    assert lf.json("db", "status") == {
        "db": lf.db,
        "current": latest,
        "latest": latest,
        "up_to_date": True,
    }


def test_db_upgrade_builds_the_funnel_summary_a_migration_marked(lf: Leadflow) -> None:
    """After an upgrade that marks every run (as the summary's first migration does), the
    upgrade itself makes their rows, so the first analytics report does not."""
    lf.ok("demo", "--leads", "30", "--days", "3", "--db", lf.db, db=False)
    with sqlite3.connect(lf.db_path) as conn:
        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        conn.execute("INSERT OR IGNORE INTO funnel_dirty (run_id) SELECT id FROM runs")
    assert runs >= 30
    first = squash(lf.ok("db", "upgrade").stdout)
    assert f"funnel summary: {runs} runs made again" in first
    with sqlite3.connect(lf.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM funnel_dirty").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM run_facts").fetchone()[0] == runs
    assert "funnel summary" not in squash(lf.ok("db", "upgrade").stdout)  # nothing left


def test_db_status_of_an_empty_database_names_the_fix_and_exits_1(lf: Leadflow) -> None:
    lf.db_path.touch()  # an empty SQLite file: no schema at all
    result = lf("db", "status")
    assert_fails(result, f"leadflow db upgrade --db {lf.db}")
    # --json says the same thing with the same exit code, for a script to act on.
    report = lf.json("db", "status", expect_code=1)
    assert report["db"] == lf.db and report["up_to_date"] is False
    assert report["current"] == 0 < report["latest"]
    lf.ok("db", "upgrade")
    assert lf.json("db", "status")["up_to_date"] is True


REFUSING = [
    ["contacts", "list"],
    ["contacts", "import", "{csv}"],
    ["workflows", "publish", str(EXAMPLE)],
    ["workflows", "list"],
    ["workflows", "show", "new-lead-welcome"],
    ["workflows", "validate", str(EXAMPLE)],
    ["enroll", "new-lead-welcome", "--all"],
    ["events", "emit", "sms.received", "--contact", "c1"],
    ["runs", "list"],
    ["runs", "show", "1"],
    ["runs", "pause", "1"],
    ["runs", "migrate", "new-lead-welcome", "--to-version", "2", "--dry-run"],
    ["messages", "list"],
    ["worker", "--until-idle"],
    ["worker", "--virtual-clock"],
]


def _argv(tmp_path: Path, argv: list[str]) -> list[str]:
    csv_file = write_csv(tmp_path / "leads.csv", [["c1", "Ann", "", "ann@example.com", "", "", ""]])
    return [a.replace("{csv}", str(csv_file)) for a in argv]


def _ids(argv: list[str]) -> str:
    return " ".join(a for a in argv if not a.startswith(("/", "{")))


@pytest.mark.parametrize("argv", REFUSING, ids=_ids)
def test_commands_refuse_a_missing_database_file_naming_init_and_do_not_create_it(
    lf: Leadflow, tmp_path: Path, argv: list[str]
) -> None:
    result = lf(*_argv(tmp_path, argv))
    text = assert_fails(
        result,
        f"--db: database file {lf.db_path} does not exist",
        f"create it with `leadflow init --db {lf.db}`",
    )
    assert "db upgrade" not in text
    assert not lf.db_path.exists()  # a typo in --db never leaves a stray database behind


@pytest.mark.parametrize("argv", REFUSING, ids=_ids)
def test_commands_refuse_an_uninitialised_database_naming_the_upgrade(
    lf: Leadflow, tmp_path: Path, argv: list[str]
) -> None:
    lf.db_path.touch()  # the file exists, the schema does not
    result = lf(*_argv(tmp_path, argv))
    text = assert_fails(result, f"leadflow db upgrade --db {lf.db}")
    assert "does not exist" not in text
    # Refused, not silently upgraded behind the user's back.
    assert lf.json("db", "status", expect_code=1)["current"] == 0


def test_an_uninitialised_database_works_once_upgraded(lf: Leadflow) -> None:
    lf.db_path.touch()
    assert_fails(lf("contacts", "list"), f"leadflow db upgrade --db {lf.db}")
    lf.ok("db", "upgrade")  # the fix the message names
    assert lf.json("contacts", "list") == []


def test_unsupported_database_url_is_a_clear_error(lf: Leadflow) -> None:
    result = lf("contacts", "list", "--db", "mysql://db.example/leads", db=False)
    assert_fails(result, "--db", "mysql://db.example/leads")


def test_leadflow_db_environment_variable_is_the_default(lf: Leadflow, tmp_path: Path) -> None:
    env_db = sqlite_url(tmp_path / "from-env.db")
    lf.ok("init", db=False, env={"LEADFLOW_DB": env_db})
    assert (tmp_path / "from-env.db").is_file()
    assert not (tmp_path / "leadflow.db").exists()
    assert lf.json("db", "status", db=False, env={"LEADFLOW_DB": env_db})["db"] == env_db


def test_db_option_beats_the_environment_variable(lf: Leadflow, tmp_path: Path) -> None:
    env_db = sqlite_url(tmp_path / "from-env.db")
    lf.ok("init", db=False, env={"LEADFLOW_DB": env_db})
    # --db names a database nobody created: refused, and the message names that one.
    result = lf("contacts", "list", env={"LEADFLOW_DB": env_db})
    assert_fails(result, f"leadflow init --db {lf.db}")
    assert not lf.db_path.exists()
    # ... and the variable's database is used when --db is not given.
    assert lf.json("contacts", "list", db=False, env={"LEADFLOW_DB": env_db}) == []


def test_without_db_or_environment_the_default_is_leadflow_db_in_the_working_directory(
    lf: Leadflow, tmp_path: Path
) -> None:
    lf.ok("init", db=False)  # the autouse fixture made tmp_path the working directory
    assert (tmp_path / "leadflow.db").is_file()
    assert lf.json("db", "status", db=False)["db"] == "sqlite:///leadflow.db"


def test_help_lists_the_commands(lf: Leadflow) -> None:
    out = lf.ok("--help", db=False).stdout
    for command in (
        "init",
        "db",
        "contacts",
        "workflows",
        "enroll",
        "events",
        "worker",
        "runs",
        "messages",
        "demo",
        "simulate",
    ):
        assert command in out
