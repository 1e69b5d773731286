"""``leadflow demo`` and ``leadflow simulate``: workflows over virtual days with synthetic
leads."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from support.cli import (
    EXAMPLE,
    WELCOME_KEY,
    WELCOME_NODES,
    Leadflow,
    assert_fails,
    parse_iso,
    squash,
)

COLUMNS = ["node", "entered", "sent", "delivered", "replied", "exited"]
SUMMARY_KEYS = {
    "leads",
    "virtual_start",
    "virtual_end",
    "wall_seconds",
    "runs",
    "messages",
    "deferred_for_quiet_hours",
    "engagement_events",
    "failures",
    "nodes",
    "goals",  # each goal: runs that reached it and their share
}
NODE_KEYS = {"workflow", "version", "node", "entered", "sent", "delivered", "replied", "exited"}


def demo_json(lf: Leadflow, *args: str) -> dict[str, Any]:
    out: dict[str, Any] = lf.json("demo", *args, db=False)
    return out


def test_demo_prints_a_table_per_node_and_is_quick(lf: Leadflow, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    started = time.monotonic()
    result = lf.ok("demo", "--leads", "50", "--days", "5", "--db", db, db=False)
    assert time.monotonic() - started < 20
    out = result.stdout
    assert "per node, 50 leads" in out
    header = next(line for line in out.splitlines() if "entered" in line)
    assert [w for w in header.replace("┃", " ").split()] == COLUMNS
    rows = {
        cells[0]: cells[1:]
        for line in out.splitlines()
        if (cells := line.replace("│", " ").split()) and cells[0] in WELCOME_NODES
    }
    assert list(rows) == WELCOME_NODES
    assert all(len(values) == 5 and all(v.isdigit() for v in values) for values in rows.values())
    assert rows["welcome_sms"][0] == "50"  # every lead entered
    assert "runs:" in squash(out) and "deferred for quiet hours" in squash(out)
    assert "Traceback" not in result.output


def test_demo_json_has_stable_keys_and_consistent_counts(lf: Leadflow, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    report = demo_json(lf, "--leads", "50", "--days", "5", "--seed", "3", "--db", db)
    assert set(report) == SUMMARY_KEYS
    assert report["leads"] == 50
    start, end = parse_iso(report["virtual_start"]), parse_iso(report["virtual_end"])
    assert (end - start).total_seconds() == 5 * 86400
    assert sum(report["runs"].values()) == 50
    nodes = report["nodes"]
    assert [n["node"] for n in nodes] == WELCOME_NODES
    for n in nodes:
        assert set(n) == NODE_KEYS
        assert n["workflow"] == WELCOME_KEY and n["version"] == 1
        assert n["delivered"] <= n["sent"] <= n["entered"]
    entered = [n["entered"] for n in nodes]
    assert entered[0] == 50 and entered == sorted(entered, reverse=True)
    for n in nodes:
        if n["node"].startswith("wait"):
            assert n["sent"] == 0
    sent = sum(n["sent"] for n in nodes)
    assert sent == sum(report["messages"].values())


def test_demo_is_reproducible_with_a_seed_on_a_fresh_database(lf: Leadflow, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ("--leads", "30", "--days", "3", "--seed", "11", "--db", db)
    first, second = demo_json(lf, *args), demo_json(lf, *args)
    first.pop("wall_seconds")
    second.pop("wall_seconds")
    assert first == second  # same numbers: the second run started from a fresh database


def test_demo_does_not_touch_the_users_database(lf: Leadflow, tmp_path: Path) -> None:
    lf.init()
    lf.import_contacts([["keep-me", "Kim", "", "kim@example.com", "", "", ""]])
    # Run as the user would: LEADFLOW_DB set, no --db for the demo.
    report = lf.json("demo", "--leads", "5", "--days", "1", db=False, env={"LEADFLOW_DB": lf.db})
    assert report["leads"] == 5
    assert (tmp_path / "demo.db").is_file()  # its own database, in the working directory
    assert [c["id"] for c in lf.json("contacts", "list")] == ["keep-me"]


def test_demo_rejects_bad_options(lf: Leadflow) -> None:
    assert_fails(lf("demo", "--leads", "0", db=False), code=2)
    assert_fails(lf("demo", "--days", "0", db=False), code=2)


def test_simulate_a_workflow_file(lf: Leadflow) -> None:
    report = lf.json("simulate", EXAMPLE, "--leads", "20", "--days", "2", db=False)
    assert set(report) == SUMMARY_KEYS
    assert report["leads"] == 20
    assert [n["node"] for n in report["nodes"]] == WELCOME_NODES
    assert report["nodes"][0]["entered"] == 20


def test_simulate_a_workflow_without_a_lead_created_trigger(lf: Leadflow, tmp_path: Path) -> None:
    path = tmp_path / "drip.yaml"
    path.write_text(
        "key: drip\n"
        "name: Drip\n"
        "start: hello\n"
        "nodes:\n"
        "  - {id: hello, kind: send_email, subject: Hello, body: 'Hi {{ contact.first_name }}',"
        " next: pause}\n"
        "  - {id: pause, kind: wait, duration: 1d, next: bye}\n"
        "  - {id: bye, kind: send_email, subject: Bye, body: Bye}\n"
    )
    report = lf.json("simulate", path, "--leads", "10", "--days", "3", db=False)
    nodes = {n["node"]: n for n in report["nodes"]}
    assert nodes["hello"]["entered"] == 10 and nodes["hello"]["workflow"] == "drip"
    assert set(nodes) == {"hello", "pause", "bye"}
    # Every lead is enrolled on arrival, and gets the first e-mail.
    assert sum(report["runs"].values()) == 10
    assert nodes["hello"]["sent"] == 10
    assert nodes["bye"]["entered"] > 0


def test_simulate_a_workflow_with_another_trigger_event(lf: Leadflow, tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(
        "key: form-follow-up\n"
        "name: Form follow-up\n"
        "triggers:\n"
        "  - {type: event, event: form.submitted}\n"
        "start: thanks\n"
        "nodes:\n"
        "  - {id: thanks, kind: send_email, subject: Thanks, body: Thanks}\n"
    )
    report = lf.json("simulate", path, "--leads", "10", "--days", "2", db=False)
    (node,) = report["nodes"]
    # Each lead arrives as a form.submitted event, which the trigger turns into a run.
    assert node["workflow"] == "form-follow-up" and node["node"] == "thanks"
    assert node["entered"] == 10 and node["sent"] == 10
    assert report["runs"] == {"completed": 10}


@pytest.mark.parametrize("content", [None, "key: Bad Key!\nname: x\nstart: a\nnodes: []\n"])
def test_simulate_refuses_a_missing_or_invalid_file(
    lf: Leadflow, tmp_path: Path, content: str | None
) -> None:
    path = tmp_path / "wf.yaml"
    if content is not None:
        path.write_text(content)
    text = assert_fails(lf("simulate", path, "--leads", "5", "--days", "1", db=False))
    assert ("does not exist" in text) if content is None else ("key:" in text)
