"""``leadflow ai orchestrate`` as a user drives it: a batch submitted from a YAML file, run
(``run``, what a worker does), its status as a table and as JSON, a bad file refused naming
the task, cancel, and the batch list."""

from __future__ import annotations

from pathlib import Path

from support.cli import Leadflow, assert_fails

BATCH = """
label: replies of the week
tasks:
  - id: cls
    kind: classify
    input: {texts: ["Can we schedule a showing?", "not now, maybe next year"]}
  - id: wf
    kind: draft_workflow
    priority: 3
    input: {prompt: "Text new leads now, wait 3 days, then call them."}
  - id: camp
    kind: draft_campaign
    depends_on: [wf]
    input: {goal: "book more showings", audience: "hot leads"}
"""


def test_submit_run_status_and_list(lf: Leadflow, tmp_path: Path) -> None:
    lf.init()
    path = tmp_path / "batch.yaml"
    path.write_text(BATCH)
    submitted = lf.json("ai", "orchestrate", "submit", str(path))
    batch_id = submitted["id"]
    assert submitted["status"] == "running" and submitted["counts"] == {"pending": 3}
    assert "ran 3 task(s)" in lf.ok("ai", "orchestrate", "run").output
    shown = lf.json("ai", "orchestrate", "status", batch_id)
    assert shown["status"] == "completed"
    (cls,) = [t for t in shown["tasks"] if t["id"] == "cls"]
    assert [i["intent"] for i in cls["result"]["items"]] == ["appointment_request", "not_now"]
    table = lf.ok("ai", "orchestrate", "status", batch_id).output
    assert "completed" in table and "draft_campaign" in table
    listed = lf.json("ai", "orchestrate", "list")
    assert [(b["id"], b["label"]) for b in listed] == [(batch_id, "replies of the week")]


def test_a_bad_file_is_refused_and_cancel_works(lf: Leadflow, tmp_path: Path) -> None:
    lf.init()
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"tasks": [{"id": "a", "kind": "classify", "input": {"texts": ["x"]},'
        ' "depends_on": ["b"]}]}'
    )
    assert_fails(
        lf("ai", "orchestrate", "submit", str(bad)),
        "tasks[0] ('a').depends_on: 'b' is not a task of this batch",
    )
    assert_fails(lf("ai", "orchestrate", "submit", str(tmp_path / "none.json")), "none.json")
    good = tmp_path / "good.yaml"
    good.write_text(BATCH)
    batch_id = lf.json("ai", "orchestrate", "submit", str(good))["id"]
    cancelled = lf.json("ai", "orchestrate", "cancel", batch_id)
    assert cancelled["status"] == "cancelled" and cancelled["counts"] == {"cancelled": 3}
    assert_fails(lf("ai", "orchestrate", "status", "nope"), "no orchestration batch 'nope'")
