"""``leadflow workflows validate|publish|list|show|schema`` and the shipped example."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.cli import (
    EXAMPLE,
    ISO_Z,
    PACKAGED_EXAMPLE,
    WELCOME_KEY,
    WELCOME_NODES,
    Leadflow,
    assert_fails,
    squash,
)

BROKEN = """\
key: Bad Key!
name: ""
triggers:
  - {type: event}
start: nowhere
nodes:
  - id: a
    kind: send_sms
    next: b
  - {id: b, kind: wait, duration: banana, next: c}
  - {id: a, kind: teleport}
"""
# Each problem in BROKEN, as "path: problem" (the start of it).
BROKEN_ERRORS = [
    "key: invalid key 'Bad Key!'",
    "name: must not be empty",
    "triggers[0].event: an event trigger needs event",
    "nodes[0](a).body: field required",
    "nodes[2](a).kind: unknown node kind 'teleport'",
    "nodes[2](a).id: duplicate node id 'a'",
    "nodes[1](b).next: edge to missing node 'c'",
    "start: start node 'nowhere' does not exist",
    "nodes[1](b).duration: invalid duration 'banana'",
]
NODE_KINDS = {
    "send_sms",
    "send_email",
    "voice_call",
    "wait",
    "wait_until",
    "wait_for_event",
    "branch",
    "split",
    "update_contact",
    "start_workflow",
    "webhook",
    "exit",
    "goal",
    "action",
    "match_properties",
    "score",
    # the playbooks' kinds
    "notify_agent",
    "assign_owner",
    "market_report",
    "booking_link",
    # the AI feature's kind
    "ai_compose",
    # Facebook Messenger
    "send_messenger",
    # WhatsApp through Twilio
    "send_whatsapp",
    # the CRM connectors' kind
    "crm",
    # branches side by side (docs/parallel.md)
    "parallel",
}


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    return path


def test_shipped_example_is_identical_to_the_packaged_copy() -> None:
    assert EXAMPLE.read_bytes() == PACKAGED_EXAMPLE.read_bytes()
    packaged = resources.files("leadflow.simulate").joinpath("new-lead-welcome.yaml")
    assert packaged.read_bytes() == EXAMPLE.read_bytes()


def test_example_workflow_stops_on_reply() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    assert data["key"] == WELCOME_KEY
    assert {"name": "replied", "event": "sms.received"} in data["settings"]["goals"]
    assert {"type": "event", "event": "lead.created"} in data["triggers"]
    assert [n["id"] for n in data["nodes"]] == WELCOME_NODES


def test_validate_ok(lf: Leadflow) -> None:
    result = lf.ok("workflows", "validate", EXAMPLE, db=False)
    assert f"ok {EXAMPLE}" in squash(result.stdout)


def test_validate_lists_every_error_with_its_path_and_exits_1(lf: Leadflow, broken: Path) -> None:
    result = lf("workflows", "validate", broken, db=False)
    text = assert_fails(result, f"invalid {broken}")
    for error in BROKEN_ERRORS:
        assert f"- {error}" in text
    # one "path: problem" per error line (Rich wraps long lines, so look at the JSON too)
    (report,) = lf.json("workflows", "validate", broken, db=False, expect_code=1)
    assert report["file"] == str(broken) and report["ok"] is False
    assert len(report["errors"]) == len(BROKEN_ERRORS)
    for error, expected in zip(sorted(report["errors"]), sorted(BROKEN_ERRORS), strict=True):
        assert error.startswith(expected)
        assert re.match(r"^[\w\[\]().-]+: \S", error), error


def test_validate_several_files_reports_each(lf: Leadflow, broken: Path, tmp_path: Path) -> None:
    bad_yaml = tmp_path / "syntax.yaml"
    bad_yaml.write_text("key: [unclosed\n")
    missing = tmp_path / "missing.yaml"
    result = lf("workflows", "validate", EXAMPLE, broken, bad_yaml, missing, db=False)
    text = assert_fails(result, f"invalid {broken}", f"invalid {bad_yaml}", f"invalid {missing}")
    assert f"ok {EXAMPLE}" in squash(result.stdout)
    assert "invalid YAML" in text and "line 2" in text
    assert "cannot read" in text
    reports = json.loads(
        lf("workflows", "validate", EXAMPLE, broken, bad_yaml, missing, "--json", db=False).stdout
    )
    assert [r["ok"] for r in reports] == [True, False, False, False]
    assert set(reports[0]) == {"file", "ok", "errors", "warnings"}


def test_validate_accepts_json_workflows(lf: Leadflow, tmp_path: Path) -> None:
    path = tmp_path / "welcome.json"
    path.write_text(json.dumps(yaml.safe_load(EXAMPLE.read_text())))
    lf.ok("workflows", "validate", path, db=False)


def test_publish_prints_key_and_version_and_identical_content_is_not_a_new_version(
    lf: Leadflow, tmp_path: Path
) -> None:
    lf.init()
    first = lf.ok("workflows", "publish", EXAMPLE)
    assert f"published {WELCOME_KEY} version 1" in squash(first.stdout)
    assert lf.json("workflows", "publish", EXAMPLE) == {"key": WELCOME_KEY, "version": 1}
    # The same content as JSON is still the same content.
    as_json = tmp_path / "welcome.json"
    as_json.write_text(json.dumps(yaml.safe_load(EXAMPLE.read_text())))
    assert lf.json("workflows", "publish", as_json)["version"] == 1
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE.read_text().replace("Welcome a new lead", "Greet a new lead"))
    assert lf.json("workflows", "publish", changed) == {"key": WELCOME_KEY, "version": 2}
    assert lf.json("workflows", "publish", changed)["version"] == 2


def test_publish_refuses_an_invalid_workflow_with_every_error(lf: Leadflow, broken: Path) -> None:
    lf.init()
    text = assert_fails(lf("workflows", "publish", broken))
    for error in BROKEN_ERRORS:
        assert error in text
    assert lf.json("workflows", "list") == []


def test_workflows_list(ready: Leadflow) -> None:
    (row,) = ready.json("workflows", "list")
    assert row["key"] == WELCOME_KEY
    assert row["name"] == "New Lead Welcome"
    assert row["version"] == 1
    assert ISO_Z.match(row["published_at"])
    assert row["runs"] == {}
    table = ready.ok("workflows", "list").stdout
    assert WELCOME_KEY in table and "New Lead Welcome" in table


def test_workflows_show_prints_the_published_yaml(ready: Leadflow, tmp_path: Path) -> None:
    out = ready.ok("workflows", "show", WELCOME_KEY).stdout
    assert out.startswith(f"# {WELCOME_KEY} version 1")
    shown = yaml.safe_load(out)
    original = yaml.safe_load(EXAMPLE.read_text())
    assert shown["key"] == original["key"] and shown["name"] == original["name"]
    assert [n["id"] for n in shown["nodes"]] == WELCOME_NODES
    assert shown["settings"]["goals"] == original["settings"]["goals"]
    # What show prints validates and publishes as the same version.
    copy = tmp_path / "shown.yaml"
    copy.write_text(out)
    ready.ok("workflows", "validate", copy, db=False)
    assert ready.json("workflows", "publish", copy)["version"] == 1


def test_workflows_show_a_given_version(ready: Leadflow, tmp_path: Path) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(EXAMPLE.read_text().replace("name: New Lead Welcome", "name: Welcome v2"))
    ready.ok("workflows", "publish", changed)
    assert "name: Welcome v2" in ready.ok("workflows", "show", WELCOME_KEY).stdout
    v1 = ready.ok("workflows", "show", WELCOME_KEY, "--version", "1").stdout
    assert v1.startswith(f"# {WELCOME_KEY} version 1") and "name: New Lead Welcome" in v1


def test_workflows_show_unknown_key(ready: Leadflow) -> None:
    assert_fails(ready("workflows", "show", "no-such-flow"), "'no-such-flow'", "not found")
    assert_fails(ready("workflows", "show", WELCOME_KEY, "--version", "9"), "version 9")


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_schema_is_a_json_schema_the_example_fits(lf: Leadflow) -> None:
    result = lf.ok("workflows", "schema", db=False)
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert set(schema["required"]) >= {"key", "name", "start", "nodes"}
    defs = schema["$defs"]
    for ref in _refs(schema):  # every reference resolves inside the document
        assert ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in defs, ref
    mapping = schema["properties"]["nodes"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == NODE_KINDS
    # The shipped example fits the schema's shape: known top-level keys, and per node the
    # required properties present and no unknown ones.
    example = yaml.safe_load(EXAMPLE.read_text())
    assert set(example) <= set(schema["properties"])
    assert set(schema["required"]) <= set(example)
    for node in example["nodes"]:
        node_def = defs[mapping[node["kind"]].removeprefix("#/$defs/")]
        assert set(node_def.get("required", [])) <= set(node), node["id"]
        if node_def.get("additionalProperties") is False:
            assert set(node) <= set(node_def["properties"]), node["id"]


@pytest.mark.parametrize("argv", [["workflows", "validate", str(EXAMPLE)], ["workflows", "schema"]])
def test_every_command_takes_db(lf: Leadflow, argv: list[str]) -> None:
    lf.init()
    lf.ok(*argv)
    lf.ok(*argv, db=False, env={"LEADFLOW_DB": lf.db})


def test_schema_does_not_need_a_database(lf: Leadflow) -> None:
    schema = json.loads(lf.ok("workflows", "schema").stdout)  # --db names no file at all
    assert schema["type"] == "object"
    assert not lf.db_path.exists()


STARTS_FOLLOW_UP = """\
key: hand-off
name: Hand-off
start: hello
nodes:
  - {id: hello, kind: send_email, subject: Hi, body: Hi, next: later}
  - {id: later, kind: start_workflow, workflow: follow-up}
"""
FOLLOW_UP = """\
key: follow-up
name: Follow-up
start: bye
nodes:
  - {id: bye, kind: send_email, subject: Bye, body: Bye}
"""
TAGS_THE_LEAD = """\
key: tagger
name: Tagger
start: tag
nodes:
  - {id: tag, kind: action, action: tag_lead, params: {tag: hot}, next: hello}
  - {id: hello, kind: send_email, subject: Hi, body: Hi}
"""
PLUGIN = """\
from leadflow.engine.context import Go


class TagLead:
    def enter(self, ctx, node):
        return Go(node.next, outcome="tagged", data=dict(node.params))

    def resume(self, ctx, node):
        return Go(node.next, outcome="resumed")
"""


def test_validate_with_db_refuses_a_start_workflow_target_the_tenant_has_not_published(
    lf: Leadflow, tmp_path: Path
) -> None:
    lf.init()
    path = tmp_path / "hand-off.yaml"
    path.write_text(STARTS_FOLLOW_UP)
    error = (
        "nodes[1](later).workflow: no workflow 'follow-up' in this tenant"
        " (publish it, or save it as a draft, first)"
    )
    # Without --db there is nothing to check it against.
    (alone,) = lf.json("workflows", "validate", path, db=False)
    assert alone["ok"] is True and alone["warnings"] == []
    # With --db: an error, the same whether another tenant has the key or nobody does.
    (report,) = lf.json("workflows", "validate", path, expect_code=1)
    assert report["ok"] is False and report["errors"] == [error]
    follow_up = tmp_path / "follow-up.yaml"
    follow_up.write_text(FOLLOW_UP)
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    lf.ok("workflows", "publish", follow_up, "--tenant", "acme")
    (report,) = lf.json("workflows", "validate", path, expect_code=1)
    assert report["errors"] == [error]
    assert_fails(lf("workflows", "publish", path), error)
    (report,) = lf.json("workflows", "validate", path, "--tenant", "acme")
    assert report["ok"] is True and report["errors"] == []
    lf.ok("workflows", "publish", follow_up)
    (report,) = lf.json("workflows", "validate", path)
    assert report["ok"] is True and report["warnings"] == []


def test_validate_with_db_refuses_an_action_that_is_not_registered(
    lf: Leadflow, tmp_path: Path
) -> None:
    lf.init()
    path = tmp_path / "tagger.yaml"
    path.write_text(TAGS_THE_LEAD)
    lf.ok("workflows", "validate", path, db=False)  # the language itself allows it
    error = "nodes[0](tag).action: no custom action registered as 'tag_lead'"
    text = assert_fails(lf("workflows", "validate", path), f"invalid {path}", f"- {error}")
    assert "registered: none" in text
    (report,) = lf.json("workflows", "validate", path, expect_code=1)
    assert report["ok"] is False
    assert [e for e in report["errors"] if e.startswith(error)] == report["errors"]
    assert report["errors"]
    # Publishing checks the same thing.
    assert_fails(lf("workflows", "publish", path), error)
    assert lf.json("workflows", "list") == []


def test_a_custom_action_from_an_installed_package_is_validated_and_runs(
    lf: Leadflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A package that declares its action in the leadflow.actions entry-point group.
    site = tmp_path / "site"
    dist = site / "lf_tag_plugin-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: lf-tag-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[leadflow.actions]\ntag_lead = lf_tag_plugin:TagLead\n")
    (site / "lf_tag_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(site))

    lf.init()
    path = tmp_path / "tagger.yaml"
    path.write_text(TAGS_THE_LEAD)
    (report,) = lf.json("workflows", "validate", path)
    assert report == {"file": str(path), "ok": True, "errors": [], "warnings": []}
    lf.ok("workflows", "publish", path)
    lf.import_contacts([["t1", "Tia", "", "t1@example.com", "", "America/Chicago", ""]])
    lf.ok("enroll", "tagger", "--contact", "t1")
    lf.worker("--until-idle")
    run = lf.run_of("t1")
    assert run["status"] == "completed"
    steps = lf.json("runs", "show", str(run["id"]))["steps"]
    assert steps[0]["node"] == "tag" and steps[0]["outcome"] == "tagged"
    assert steps[0]["data"] == {"tag": "hot"}
    assert [m["node"] for m in lf.messages("--contact", "t1")] == ["hello"]
