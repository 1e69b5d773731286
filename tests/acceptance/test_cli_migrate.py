"""``leadflow runs migrate``: moving in-flight runs to another version of their workflow, with a
dry run, a node mapping, and unmapped nodes blocking the move unless skipped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from support.cli import Leadflow, assert_fails, parse_iso, sent_order, squash, zone_at_local_hour

KEY = "nurture"
# v1 texts hello, waits a week, then e-mails goodbye. v2 is the same journey with the wait
# renamed (long_wait -> pause_a_week) and a new goodbye.
V1 = """\
key: nurture
name: Nurture
start: hello
nodes:
  - {id: hello, kind: send_sms, body: 'Hello {{ contact.first_name }}', next: long_wait}
  - {id: long_wait, kind: wait, duration: 7d, next: bye}
  - {id: bye, kind: send_email, subject: Bye from v1, body: Bye}
"""
V2 = V1.replace("long_wait", "pause_a_week").replace("Bye from v1", "Bye from v2")


def lead(cid: str, zone: str, n: int) -> list[str]:
    return [cid, cid.upper(), "Lead", f"{cid}@example.com", f"+1 800 555 01{n:02d}", zone, ""]


def publish(lf: Leadflow, name: str, text: str) -> int:
    path = lf.tmp_path / name
    path.write_text(text)
    version: int = lf.json("workflows", "publish", path)["version"]
    return version


def migrate(lf: Leadflow, *args: str, expect_code: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = lf.json("runs", "migrate", KEY, *args, expect_code=expect_code)
    return out


def versions_and_nodes(lf: Leadflow) -> dict[str, tuple[int, str, str]]:
    return {r["contact_id"]: (r["version"], r["node"], r["status"]) for r in lf.runs()}


@pytest.fixture
def waiting(lf: Leadflow) -> Leadflow:
    """v1 published; m1..m3 had their text and wait a week at long_wait (m3 paused there), m4's
    run was cancelled; then v2 was published. Publishing moved nobody."""
    lf.init()
    assert publish(lf, "v1.yaml", V1) == 1
    zone = zone_at_local_hour(12)
    lf.import_contacts([lead(f"m{i}", zone, i) for i in range(1, 5)])
    lf.ok("enroll", KEY, "--all")
    lf.worker("--until-idle")
    ids = {r["contact_id"]: str(r["id"]) for r in lf.runs()}
    lf.ok("runs", "pause", ids["m3"])
    lf.ok("runs", "cancel", ids["m4"])
    assert publish(lf, "v2.yaml", V2) == 2
    assert versions_and_nodes(lf) == {
        "m1": (1, "long_wait", "waiting"),
        "m2": (1, "long_wait", "waiting"),
        "m3": (1, "long_wait", "paused"),
        "m4": (1, "long_wait", "cancelled"),
    }
    return lf


def test_dry_run_counts_who_moves_where_and_changes_nothing(waiting: Leadflow) -> None:
    before = waiting.runs()
    plain = migrate(waiting, "--to-version", "2", "--dry-run")
    assert plain == {
        "workflow": KEY,
        "to_version": 2,
        "dry_run": True,
        # The in-flight runs (waiting and paused, not the cancelled one); no node of v2 has
        # the id long_wait, so they would go nowhere.
        "moves": [
            {"from_version": 1, "from_node": "long_wait", "to_node": None, "runs": 3, "timing": ""}
        ],
        "moved": 0,
        "conflicts": 0,
        "skipped": 0,
    }
    mapped = migrate(waiting, "--to-version", "2", "--map", "long_wait=pause_a_week", "--dry-run")
    assert mapped["moves"] == [
        {
            "from_version": 1,
            "from_node": "long_wait",
            "to_node": "pause_a_week",
            "runs": 3,
            "timing": "kept",  # a wait of the same length: the wake time stays
        }
    ]
    assert mapped["dry_run"] is True and mapped["moved"] == 0
    text = waiting.ok(
        "runs", "migrate", KEY, "--to-version", "2", "--map", "long_wait=pause_a_week", "--dry-run"
    ).stdout
    assert "dry run" in text and "long_wait" in text and "pause_a_week" in text
    assert "moved" not in text
    assert waiting.runs() == before


def test_an_unmapped_node_blocks_the_whole_migration(waiting: Leadflow) -> None:
    before = waiting.runs()
    result = waiting("runs", "migrate", KEY, "--to-version", "2")
    assert_fails(result, "no counterpart in version 2", "long_wait", "--map", "--skip-unmapped")
    assert waiting.runs() == before
    # --json: the same refusal, and no document claiming that something moved.
    result = waiting("runs", "migrate", KEY, "--to-version", "2", "--json")
    assert_fails(result, "long_wait")
    assert result.stdout == ""
    assert waiting.runs() == before


def test_migrate_with_a_map_moves_the_runs_and_v2_goes_on_from_there(waiting: Leadflow) -> None:
    before = {r["contact_id"]: r for r in waiting.runs()}
    out = migrate(waiting, "--to-version", "2", "--map", "long_wait=pause_a_week")
    assert out["dry_run"] is False
    assert out["moves"] == [
        {
            "from_version": 1,
            "from_node": "long_wait",
            "to_node": "pause_a_week",
            "runs": 3,
            "timing": "kept",  # a wait of the same length: the wake time stays
        }
    ]
    assert (out["moved"], out["conflicts"], out["skipped"]) == (3, 0, 0)
    assert versions_and_nodes(waiting) == {
        "m1": (2, "pause_a_week", "waiting"),
        "m2": (2, "pause_a_week", "waiting"),
        "m3": (2, "pause_a_week", "paused"),
        "m4": (1, "long_wait", "cancelled"),  # ended runs stay as they ended
    }
    # A wait moved to a wait keeps its place in time: still a week after the text.
    for cid in ("m1", "m2"):
        assert waiting.run_of(cid)["wake_at"] == before[cid]["wake_at"]
    steps = waiting.json("runs", "show", str(before["m1"]["id"]))["steps"]
    assert steps[-1]["node"] == "pause_a_week" and steps[-1]["outcome"] == "migrated"
    assert steps[-1]["data"]["from_version"] == 1 and steps[-1]["data"]["from_node"] == "long_wait"
    # Nothing left to move.
    again = migrate(waiting, "--to-version", "2", "--map", "long_wait=pause_a_week")
    assert again["moves"] == [] and again["moved"] == 0

    # A week later the moved runs take v2's path: v2's goodbye, a week after v1's text.
    waiting.worker("--virtual-clock")
    for cid in ("m1", "m2"):
        run = waiting.run_of(cid)
        assert (run["version"], run["status"], run["node"]) == (2, "completed", "bye")
        hello, bye = sent_order(waiting.messages("--contact", cid))
        assert hello["node"] == "hello" and hello["channel"] == "sms"
        assert bye["node"] == "bye" and bye["subject"] == "Bye from v2"
        assert bye["status"] == "delivered"
        gap = parse_iso(bye["sent_at"]) - parse_iso(hello["sent_at"])
        assert timedelta(days=7) <= gap < timedelta(days=7, minutes=5), (cid, gap)
    assert all(m["subject"] != "Bye from v1" for m in waiting.messages("--channel", "email"))
    # The paused run waits at v2's node until resumed, then ends on v2 too.
    assert waiting.run_of("m3")["status"] == "paused"
    waiting.ok("runs", "resume", str(before["m3"]["id"]))
    waiting.worker("--virtual-clock")
    assert waiting.run_of("m3")["version"] == 2 and waiting.run_of("m3")["status"] == "completed"
    assert [m["subject"] for m in waiting.messages("--contact", "m3", "--channel", "email")] == [
        "Bye from v2"
    ]


def test_migrate_table_output(waiting: Leadflow) -> None:
    result = waiting.ok(
        "runs", "migrate", KEY, "--to-version", "2", "--map", "long_wait=pause_a_week"
    )
    out = squash(result.stdout)
    assert f"{KEY}: runs to version 2" in out and "dry run" not in out
    assert "moved 3, conflicts 0, skipped 0" in out


def test_skip_unmapped_moves_only_the_runs_with_a_counterpart(lf: Leadflow) -> None:
    lf.init()
    publish(lf, "v1.yaml", V1)
    # At 03:00 local the text waits for the morning: that run is still at hello (which v2
    # has too), the daytime one is at long_wait (which v2 does not have).
    lf.import_contacts(
        [lead("day", zone_at_local_hour(12), 1), lead("owl", zone_at_local_hour(3), 2)]
    )
    lf.ok("enroll", KEY, "--all")
    lf.worker("--until-idle")
    assert versions_and_nodes(lf) == {
        "day": (1, "long_wait", "waiting"),
        "owl": (1, "hello", "waiting"),
    }
    publish(lf, "v2.yaml", V2)

    plan = migrate(lf, "--to-version", "2", "--dry-run")
    assert plan["moves"] == [
        {"from_version": 1, "from_node": "hello", "to_node": "hello", "runs": 1, "timing": "kept"},
        {"from_version": 1, "from_node": "long_wait", "to_node": None, "runs": 1, "timing": ""},
    ]
    assert_fails(lf("runs", "migrate", KEY, "--to-version", "2"), "long_wait")
    assert {v for v, _, _ in versions_and_nodes(lf).values()} == {1}

    out = migrate(lf, "--to-version", "2", "--skip-unmapped")
    assert (out["moved"], out["conflicts"], out["skipped"]) == (1, 0, 1)
    assert versions_and_nodes(lf) == {
        "day": (1, "long_wait", "waiting"),
        "owl": (2, "hello", "waiting"),
    }
    lf.worker("--virtual-clock")
    subjects = {m["contact_id"]: m["subject"] for m in lf.messages("--channel", "email")}
    assert subjects == {"day": "Bye from v1", "owl": "Bye from v2"}


def test_from_version_and_bad_arguments(waiting: Leadflow, tmp_path: Path) -> None:
    # Only the runs on version 2 (there are none): nothing to move.
    none = migrate(waiting, "--to-version", "1", "--from-version", "2", "--dry-run")
    assert none["moves"] == []
    assert_fails(
        waiting("runs", "migrate", KEY, "--to-version", "2", "--map", "long_wait=nowhere"),
        "--map",
        "'nowhere'",
    )
    assert_fails(
        waiting("runs", "migrate", KEY, "--to-version", "2", "--map", "long_wait"),
        "--map",
        "OLD=NEW",
    )
    assert_fails(waiting("runs", "migrate", KEY, "--to-version", "9"), "version 9")
    assert_fails(waiting("runs", "migrate", "no-such-flow", "--to-version", "1"), "'no-such-flow'")
    assert {v for v, _, _ in versions_and_nodes(waiting).values()} == {1}
