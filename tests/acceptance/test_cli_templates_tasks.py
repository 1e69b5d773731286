"""``leadflow templates`` and ``leadflow tasks`` as an operator uses them."""

from __future__ import annotations

from leadflow.model.playbooks import Task
from leadflow.store.factory import open_store
from support.cli import Leadflow, assert_fails, write_csv


def test_list_show_and_install_a_play(lf: Leadflow) -> None:
    listed = lf.json("templates", "list", db=False)
    assert len(listed) == 9
    closing = next(t for t in listed if t["name"] == "post-closing-care")
    assert {"name", "title", "parameters"} <= set(closing)
    assert [p["name"] for p in closing["parameters"]][:3] == [
        "agent_name",
        "date_field",
        "checkin_days",
    ]
    shown = lf.ok("templates", "show", "post-closing-care", db=False).stdout
    assert "Post-closing Care" in shown and "checkin_days" in shown and "7 to 120" in shown
    diagram = lf.ok("templates", "show", "post-closing-care", "--mermaid", db=False).stdout
    assert diagram.startswith("flowchart TD") and "n_wait_checkin" in diagram

    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    bad = lf(
        "templates",
        "install",
        "post-closing-care",
        "--tenant",
        "acme",
        "--set",
        "checkin_days=400",
        "--set",
        "colour=red",
        "--publish",
    )
    assert_fails(bad, "checkin_days: 400 is above the maximum 120", "colour: no such parameter")
    assert_fails(
        lf("templates", "install", "post-closing-care", "--tenant", "acme", "--set", "oops"),
        "--set 'oops': expected NAME=VALUE",
    )
    assert_fails(lf("templates", "install", "nope", "--tenant", "acme"), "no template 'nope'")
    assert_fails(lf("templates", "install", "lead-routing", "--tenant", "zeta"), "no tenant")
    saved = lf.ok(
        "templates",
        "install",
        "post-closing-care",
        "--tenant",
        "acme",
        "--set",
        "checkin_days=45",
        "--set",
        "agent_name=Dana Cole",
    )
    assert "saved post-closing-care as a draft for acme" in saved.stdout
    done = lf.ok("templates", "install", "new-lead-welcome", "--tenant", "acme", "--publish")
    assert "published new-lead-welcome version 1 for acme" in done.stdout


def test_tasks_from_the_command_line(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    members = write_csv(
        lf.tmp_path / "members.csv",
        [["a1", "Ann", "ann@acme.test"], ["a2", "Bob", "bob@acme.test"]],
        header=["MemberKey", "MemberFirstName", "MemberEmail"],
    )
    lf.ok("agents", "import", members, "--tenant", "acme")
    store = open_store(lf.db)
    try:
        task, _ = store.create_task(Task("acme", "lead-1", "a1", "Call Mia", 2e9, "api:1"))
    finally:
        store.close()
    [row] = lf.json("tasks", "list", "--tenant", "acme")
    assert (row["id"], row["assignee"], row["title"]) == (task.id, "a1", "Call Mia")
    assert lf.json("tasks", "list", "--tenant", "acme", "--agent", "a2") == []
    lf.ok("tasks", "reassign", str(task.id), "--tenant", "acme", "--to", "a2")
    assert_fails(
        lf("tasks", "reassign", str(task.id), "--tenant", "acme", "--to", "zz"),
        "assignee: no Active agent 'zz'",
    )
    assert_fails(lf("tasks", "complete", str(task.id), "--tenant", "beta"), f"no task {task.id}")
    lf.ok("tasks", "snooze", str(task.id), "--tenant", "acme", "--minutes", "90")
    lf.ok("tasks", "complete", str(task.id), "--tenant", "acme")
    [done] = lf.json("tasks", "list", "--tenant", "acme", "--status", "done")
    assert (done["assignee"], done["status"]) == ("a2", "done")
    assert_fails(lf("tasks", "complete", str(task.id), "--tenant", "acme"), "already done")


def test_an_agents_profile_from_the_command_line(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    members = write_csv(
        lf.tmp_path / "m.csv", [["a1", "Ann"]], header=["MemberKey", "MemberFirstName"]
    )
    lf.ok("agents", "import", members, "--tenant", "acme")
    shown = lf.json("agents", "profile", "a1", "--tenant", "acme")
    assert shown["hours_start"] == "09:00" and shown["available"] is True
    set_ = lf.json(
        "agents",
        "profile",
        "a1",
        "--tenant",
        "acme",
        "--hours",
        "08:30-17:30",
        "--unavailable",
        "--areas",
        "78701, 78702",
        "--urgent-after-hours",
    )
    assert (set_["hours_start"], set_["hours_end"], set_["available"]) == ("08:30", "17:30", False)
    assert set_["areas"] == ["78701", "78702"] and set_["urgent_after_hours"] is True
    assert_fails(
        lf("agents", "profile", "a1", "--tenant", "acme", "--zone", "Nowhere/City"),
        "time_zone: 'Nowhere/City' is not an IANA zone",
    )
    assert_fails(lf("agents", "profile", "zz", "--tenant", "acme"), "no agent 'zz'")
