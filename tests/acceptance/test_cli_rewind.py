"""``leadflow runs rewind``: a dry run unless --apply; a completed run rewound to its first
text is reopened, the text goes out again with a new key, and ``runs show`` keeps both paths."""

from __future__ import annotations

from typing import Any

import pytest

from support.cli import Leadflow, assert_fails, zone_at_local_hour

WORKFLOW = """\
key: hello
name: Hello
start: hi
nodes:
  - {id: hi, kind: send_sms, body: 'Hi {{ contact.first_name }}', next: bye}
  - {id: bye, kind: send_email, subject: Bye, body: See you}
"""


@pytest.fixture
def done(lf: Leadflow) -> tuple[Leadflow, str]:
    """One lead whose run sent both messages and completed."""
    lf.init()
    path = lf.tmp_path / "hello.yaml"
    path.write_text(WORKFLOW)
    lf.ok("workflows", "publish", path)
    zone = zone_at_local_hour(12)
    lf.import_contacts([["r1", "Rae", "Lead", "r1@example.com", "+1 800 555 0101", zone, ""]])
    lf.ok("enroll", "hello", "--all")
    lf.worker("--until-idle")
    (run,) = lf.runs()
    assert run["status"] == "completed"
    return lf, str(run["id"])


def _everything(lf: Leadflow, run_id: str) -> tuple[Any, ...]:
    return lf.runs(), lf.messages(), lf.json("runs", "show", run_id)


def test_dry_run_lists_what_would_be_sent_again_and_changes_nothing(
    done: tuple[Leadflow, str],
) -> None:
    lf, run_id = done
    before = _everything(lf, run_id)
    plan = lf.json("runs", "rewind", run_id, "--to-node", "hi")
    assert plan["dry_run"] is True
    assert [(r["node"], r["channel"]) for r in plan["resend"]] == [("hi", "sms"), ("bye", "email")]
    assert plan["stops"] == "completes"
    assert plan["changes"]["status"] == {"before": "completed", "after": "active"}
    assert _everything(lf, run_id) == before
    text = lf.ok("runs", "rewind", run_id, "--to-node", "hi").stdout
    assert "sent again: hi (sms), bye (email)" in text
    assert "dry run: nothing changed" in text
    assert _everything(lf, run_id) == before


def test_apply_reopens_the_run_and_sends_again_with_new_keys(done: tuple[Leadflow, str]) -> None:
    lf, run_id = done
    out = lf.ok("runs", "rewind", run_id, "--to-node", "hi", "--apply").stdout
    assert f"run {run_id}: active at hi" in out
    lf.worker("--until-idle")
    messages = lf.messages("--run", run_id)
    assert sorted(m["node"] for m in messages) == ["bye", "bye", "hi", "hi"]
    assert len({m["idempotency_key"] for m in messages}) == 4
    shown = lf.json("runs", "show", run_id)
    assert shown["status"] == "completed"
    kinds = [(s["node"], s["kind"]) for s in shown["steps"]]
    assert kinds == [
        ("hi", "send_sms"),
        ("bye", "send_email"),
        ("hi", "rewind"),
        ("hi", "send_sms"),
        ("bye", "send_email"),
    ]
    rewind = shown["steps"][2]["data"]
    assert (rewind["from_node"], rewind["to_node"]) == ("bye", "hi")
    assert rewind["by"].startswith("cli")


def test_bad_targets_are_named_with_the_commands_options(done: tuple[Leadflow, str]) -> None:
    lf, run_id = done
    before = _everything(lf, run_id)
    assert_fails(
        lf("runs", "rewind", run_id, "--to-node", "nowhere", "--apply"),
        "--to-node",
        "never visited node 'nowhere'",
    )
    assert_fails(lf("runs", "rewind", run_id, "--from-step", "42"), "--from-step", "no step 42")
    assert_fails(lf("runs", "rewind", run_id), "--to-node NODE or --from-step N")
    assert_fails(lf("runs", "rewind", "999", "--to-node", "hi"), "no run 999")
    assert _everything(lf, run_id) == before
