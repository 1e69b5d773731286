"""The installed ``leadflow`` console script as a real process: the whole pipeline, signals,
the ``LEADFLOW_DB`` variable, and errors without tracebacks."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.cli import (
    CONSOLE_SCRIPT,
    EXAMPLE,
    ISO_Z,
    WELCOME_KEY,
    Leadflow,
    run_script,
    sent_order,
    sqlite_url,
    squash,
    subprocess_env,
    write_csv,
    zone_at_local_hour,
)

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="console script not installed"),
]


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, (proc.args, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc.stdout


def test_pipeline_init_import_publish_enroll_worker_lists(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "pipeline.db")
    zone = zone_at_local_hour(12)
    leads = write_csv(
        tmp_path / "leads.csv",
        [
            ["p1", "Pat", "One", "p1@example.com", "+1 415 555 0101", zone, ""],
            ["p2", "Sam", "Two", "p2@example.com", "(212) 555-0102", "", "NY"],
            ["p3", "Lou", "Three", "p3@example.com", "312-555-0103", "", "IL"],
        ],
    )

    def leadflow(*args: str | Path) -> str:
        return ok(run_script(*args, "--db", db, cwd=tmp_path))

    assert re.search(
        r"schema version \d+ \(applied migrations \[1[, \d]*\]\)", squash(leadflow("init"))
    )
    assert "imported 3 new" in squash(leadflow("contacts", "import", leads))
    assert json.loads(leadflow("workflows", "publish", EXAMPLE, "--json")) == {
        "key": WELCOME_KEY,
        "version": 1,
    }
    enrolled = json.loads(leadflow("enroll", WELCOME_KEY, "--all", "--json"))
    assert enrolled["created"] == 3
    summary = json.loads(leadflow("worker", "--virtual-clock", "--json"))
    assert summary["messages_dispatched"] == 9 and ISO_Z.match(summary["virtual_now"])

    runs: list[dict[str, Any]] = json.loads(leadflow("runs", "list", "--json"))
    assert sorted(r["contact_id"] for r in runs) == ["p1", "p2", "p3"]
    assert {r["status"] for r in runs} == {"completed"}
    messages: list[dict[str, Any]] = json.loads(leadflow("messages", "list", "--json"))
    assert len(messages) == 9
    for cid in ("p1", "p2", "p3"):
        mine = sent_order([m for m in messages if m["contact_id"] == cid])
        assert [m["channel"] for m in mine] == ["sms", "email", "sms"]
        assert all(ISO_Z.match(m["sent_at"]) for m in mine)
    assert not (tmp_path / "leadflow.db").exists()  # only the database we named


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_running_worker_stops_cleanly_on_a_signal(
    ready: Leadflow, tmp_path: Path, sig: signal.Signals
) -> None:
    ready.import_contacts(
        [["s1", "Sig", "", "s1@example.com", "+1 800 555 0101", zone_at_local_hour(12), ""]],
        "--emit",
        "lead.created",
    )
    proc = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "worker", "--json", "--db", ready.db],
        cwd=tmp_path,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Wait until the worker is in its loop: it has picked up the lead.created event.
        deadline = time.monotonic() + 30
        while not ready.runs() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        assert ready.runs(), "the worker never processed the event"
        sent = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        assert time.monotonic() - sent < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in err
    summary = json.loads(out)
    assert summary["stopped_by_signal"] is True
    assert summary["events"] >= 1 and summary["runs_advanced"] >= 1


def test_leadflow_db_environment_variable_and_default(tmp_path: Path) -> None:
    env = subprocess_env(LEADFLOW_DB="sqlite:///from-env.db")  # relative to the working dir
    ok(run_script("init", cwd=tmp_path, env=env))
    assert (tmp_path / "from-env.db").is_file()
    assert not (tmp_path / "leadflow.db").exists()
    # Neither --db nor LEADFLOW_DB: leadflow.db in the working directory.
    ok(run_script("init", cwd=tmp_path, env=subprocess_env()))
    assert (tmp_path / "leadflow.db").is_file()


@pytest.mark.parametrize(
    ("db_file", "argv", "needles"),
    [
        (None, ["contacts", "list"], ["does not exist", "leadflow init --db {url}"]),
        ("", ["contacts", "list"], ["leadflow db upgrade --db {url}"]),
        (None, ["workflows", "list"], ["leadflow init --db {url}"]),
        (None, ["events", "emit", "sms.received", "--contact", "x", "--data", "{bad"], ["--data"]),
    ],
    ids=["missing-db", "empty-db", "missing-db-2", "bad-json-data"],
)
def test_errors_are_one_clear_message_without_traceback(
    tmp_path: Path, db_file: str | None, argv: list[str], needles: list[str]
) -> None:
    # A long path, so that the message is much wider than 80 columns.
    path = tmp_path / ("a-rather-long-directory-name-for-the-database-" * 2) / "leads.db"
    path.parent.mkdir()
    if db_file is not None:
        path.write_text(db_file)
    url = sqlite_url(path)
    proc = run_script(*argv, cwd=tmp_path, env=subprocess_env(LEADFLOW_DB=url))
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    # One line, not hard-wrapped at 80 columns: the command in it can be copied as it is.
    (line,) = proc.stderr.splitlines()
    assert line.startswith("error: ")
    for needle in needles:
        assert needle.format(url=url) in line
    assert path.exists() == (db_file is not None)  # a missing database is not created


def test_workflows_show_piped_to_a_file_is_the_same_workflow(
    ready: Leadflow, tmp_path: Path
) -> None:
    proc = run_script("workflows", "show", WELCOME_KEY, "--db", ready.db, cwd=tmp_path)
    text = ok(proc)
    assert text.startswith(f"# {WELCOME_KEY} version 1\n")
    # Plain YAML, not wrapped at the 80 columns of a pretend terminal.
    assert max(len(line) for line in text.splitlines()) > 80
    shown = yaml.safe_load(text)
    original = yaml.safe_load(EXAMPLE.read_text())
    assert shown["description"] == original["description"]
    assert {k: v for k, v in shown.items() if k != "settings"} == {
        k: v for k, v in original.items() if k != "settings"
    }
    assert shown["settings"]["goals"] == original["settings"]["goals"]
    for got, want in zip(shown["nodes"], original["nodes"], strict=True):
        assert got.get("body") == want.get("body"), got["id"]
    # Redirected to a file, it publishes as the very same version.
    copy = tmp_path / "shown.yaml"
    copy.write_text(text)
    assert ready.json("workflows", "publish", copy)["version"] == 1
