"""``leadflow integrations``: a connector set from a JSON file (never echoed unmasked), a
change made in a loopback Follow Up Boss once per key, the delivery log, the contact sync and
its log, and clear errors for a bad config or an unknown contact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import fub_peer as fp
from support.cli import Leadflow, assert_fails, write_csv


@pytest.fixture
def fub() -> Iterator[fp.FubPeer]:
    with fp.fub_peer() as peer:
        yield peer


def test_set_operate_log_and_sync(ready: Leadflow, fub: fp.FubPeer, tmp_path: Path) -> None:
    lf = ready
    config = tmp_path / "fub.json"
    config.write_text(
        json.dumps(
            {
                "api_key": fp.API_KEY,
                "system": fp.SYSTEM,
                "system_key": fp.SYSTEM_KEY,
                "base_url": fub.base_url + "/v1",
            }
        )
    )
    out = lf.ok("integrations", "set", "fub", "--config-file", config)
    assert fp.API_KEY not in out.stdout and fp.SYSTEM_KEY not in out.stdout
    assert json.loads(out.stdout)["config"]["api_key"] == "****" + fp.API_KEY[-4:]
    shown = json.loads(lf.ok("integrations", "show", "fub").stdout)
    assert shown["config"]["system"] == fp.SYSTEM and fp.SYSTEM_KEY not in json.dumps(shown)
    lf.ok(
        "contacts",
        "import",
        write_csv(
            tmp_path / "c.csv",
            [["k1", "Ida", "ida@example.com"]],
            ["ContactKey", "FirstName", "Email"],
        ),
    )
    args = (
        "integrations",
        "operate",
        "fub",
        "--contact",
        "k1",
        "--operation",
        "add_note",
        "--params",
        '{"body": "Asked about schools"}',
        "--key",
        "note-1",
    )
    first = json.loads(lf.ok(*args).stdout)
    again = json.loads(lf.ok(*args).stdout)
    assert first["status"] == "done" and again["id"] == first["id"]
    (note,) = fub.notes
    assert note["body"].startswith("Asked about schools")
    log = lf.json("integrations", "deliveries", "fub")
    assert [(d["operation"], d["status"], d["contact_id"]) for d in log] == [
        ("add_note", "done", "k1")
    ]
    (pid,) = fub.people
    fub.edit(pid, lastName="Pfeiffer")
    synced = json.loads(lf.ok("integrations", "sync", "fub", "--contact", "k1").stdout)
    assert synced["pulled"] == {"last_name": "Pfeiffer"}
    entries = lf.json("integrations", "sync-log", "fub", "--contact", "k1")
    assert [(e["field"], e["winner"], e["remote"]) for e in entries] == [
        ("last_name", "remote", "Pfeiffer")
    ]


def test_errors_name_the_problem(ready: Leadflow, tmp_path: Path) -> None:
    lf = ready
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"api_key": "x"}))
    assert_fails(lf("integrations", "set", "ghl", "--config-file", bad), "location_id")
    assert_fails(lf("integrations", "show", "ghl"), "no ghl connector")
    assert_fails(lf("integrations", "sync", "ghl", "--contact", "nobody"), "no contact 'nobody'")
