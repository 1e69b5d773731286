"""``leadflow db prune --older-than 90d``: finished runs' history goes to a gzip JSONL archive,
then out of the database."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest

from leadflow.clock import RealClock
from support.cli import WELCOME_KEY, Leadflow, assert_fails, squash, zone_at_local_hour

DAY = 86400.0


@pytest.fixture
def finished(ready: Leadflow) -> Leadflow:
    """Two leads whose New Lead Welcome runs to the end (virtual days), and one lead enrolled
    afterwards whose run is still live."""
    zone = zone_at_local_hour(12)
    ready.import_contacts(
        [
            ["c1", "Ann", "Lee", "ann@example.com", "+1 800 555 0101", zone, ""],
            ["c2", "Bob", "Ray", "bob@example.com", "+1 800 555 0102", zone, ""],
        ]
    )
    ready.ok("enroll", WELCOME_KEY, "--all")
    ready.worker("--virtual-clock")
    assert {r["status"] for r in ready.runs()} == {"completed"}
    ready.import_contacts([["c3", "Cat", "Ng", "cat@example.com", "+1 800 555 0103", zone, ""]])
    ready.ok("enroll", WELCOME_KEY, "--contact", "c3")
    return ready


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's clock reads 120 days from now: the finished runs are old history."""
    monkeypatch.setattr(RealClock, "now", lambda self: time.time() + 120 * DAY)


def _archive(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_prune_archives_then_deletes_finished_runs(
    finished: Leadflow, later: None, tmp_path: Path
) -> None:
    done = {r["id"] for r in finished.runs("--status", "completed")}
    sent = [m for m in finished.messages() if m["contact_id"] in ("c1", "c2")]
    assert len(done) == 2 and sent
    path = tmp_path / "old.jsonl.gz"

    out = finished.json("db", "prune", "--older-than", "90d", "--archive", path)

    assert out["runs"] == 2 and out["messages"] == len(sent) and out["steps"] > 2
    assert out["archive"] == str(path) and out["bytes"] == path.stat().st_size > 0
    # the database keeps only the live run and its messages
    assert [r["contact_id"] for r in finished.runs()] == ["c3"]
    assert {m["contact_id"] for m in finished.messages()} <= {"c3"}
    # the archive holds everything that went
    header, *records = _archive(path)
    assert header["type"] == "header" and header["database"] == finished.db
    runs = [r for r in records if r["type"] == "run"]
    assert {r["id"] for r in runs} == done
    assert sorted(m["id"] for r in runs for m in r["messages"]) == sorted(m["id"] for m in sent)
    assert sum(len(r["steps"]) for r in runs) == out["steps"]
    assert sum(r["type"] == "event" for r in records) == out["events"]
    # nothing left to prune: a second run archives nothing
    again = finished.json("db", "prune", "--older-than", "90d", "--archive", tmp_path / "2.gz")
    assert (again["runs"], again["steps"], again["messages"], again["events"]) == (0, 0, 0, 0)


def test_pruned_leads_are_not_welcomed_twice(
    finished: Leadflow, later: None, tmp_path: Path
) -> None:
    """New Lead Welcome's re-entry policy is `never`: after their finished runs are pruned,
    enrolling everyone again welcomes only the lead who never had it."""
    out = finished.json("db", "prune", "--older-than", "90d", "--archive", tmp_path / "a.gz")
    assert out["runs"] == 2 and [r["contact_id"] for r in finished.runs()] == ["c3"]
    zone = zone_at_local_hour(12)
    finished.import_contacts([["c4", "Dan", "Oz", "dan@example.com", "+1 800 555 0104", zone, ""]])

    again = finished.json("enroll", WELCOME_KEY, "--all")

    assert (again["created"], again["skipped"]) == (1, 3)
    assert sorted(r["contact_id"] for r in finished.runs()) == ["c3", "c4"]
    assert finished.json("enroll", WELCOME_KEY, "--contact", "c1")["created"] == 0


def test_prune_output_names_counts_and_archive(finished: Leadflow, later: None) -> None:
    result = finished.ok("db", "prune", "--older-than", "90d")
    text = squash(result.stdout)
    assert "archived and deleted 2 runs" in text
    [archive] = list(Path.cwd().glob("leadflow-prune-*.jsonl.gz"))  # the default name
    assert f"archive: {archive.name}" in text and f"({archive.stat().st_size} bytes)" in text


def test_dry_run_changes_nothing(finished: Leadflow, later: None, tmp_path: Path) -> None:
    runs, messages = finished.runs(), finished.messages()
    out = finished.json("db", "prune", "--older-than", "90d", "--dry-run")
    assert out["dry_run"] is True and out["runs"] == 2 and out["archive"] is None
    assert finished.runs() == runs and finished.messages() == messages
    assert list(Path.cwd().glob("leadflow-prune-*")) == []
    text = squash(finished.ok("db", "prune", "--older-than", "90d", "--dry-run").stdout)
    assert "would archive and delete 2 runs" in text


def test_nothing_is_old_enough_without_the_wait(finished: Leadflow, tmp_path: Path) -> None:
    out = finished.json("db", "prune", "--older-than", "90d", "--archive", tmp_path / "a.gz")
    assert out["runs"] == 0 and len(finished.runs()) == 3


def test_an_existing_archive_is_refused(finished: Leadflow, later: None, tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl.gz"
    path.write_text("precious")
    assert_fails(
        finished("db", "prune", "--older-than", "90d", "--archive", path),
        "--archive",
        str(path),
        "--overwrite",
    )
    assert path.read_text() == "precious" and len(finished.runs()) == 3
    finished.ok("db", "prune", "--older-than", "90d", "--archive", path, "--overwrite")
    assert len(finished.runs()) == 1


@pytest.mark.parametrize("bad", ["90x", "-5d", "0d", "", "P1M"])
def test_bad_older_than_names_the_option(finished: Leadflow, bad: str) -> None:
    assert_fails(finished("db", "prune", "--older-than", bad), "--older-than")
    assert len(finished.runs()) == 3
    assert list(Path.cwd().glob("leadflow-prune-*")) == []


def test_prune_of_a_missing_database_is_refused(lf: Leadflow) -> None:
    assert_fails(lf("db", "prune", "--older-than", "90d"), "does not exist")
