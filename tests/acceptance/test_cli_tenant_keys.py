"""Workflow keys per tenant from the command line: every command that takes a workflow key reads
it in ``--tenant`` (default ``default``); two tenants publish ``new-lead-welcome`` each with its
own versions and runs. A contact import never says whose a taken ContactKey is."""

from __future__ import annotations

from pathlib import Path

from support.cli import EXAMPLE, WELCOME_KEY, Leadflow, assert_fails, write_csv


def test_two_tenants_publish_the_same_key_and_each_command_reads_its_tenant(
    lf: Leadflow, tmp_path: Path
) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    changed = tmp_path / "acme-welcome.yaml"
    changed.write_text(EXAMPLE.read_text().replace("name: New Lead Welcome", "name: Acme Welcome"))
    assert lf.json("workflows", "publish", EXAMPLE)["version"] == 1
    assert lf.json("workflows", "publish", EXAMPLE, "--tenant", "acme")["version"] == 1
    assert lf.json("workflows", "publish", changed, "--tenant", "acme")["version"] == 2
    listed = {(w["tenant"], w["key"]): w["version"] for w in lf.json("workflows", "list")}
    assert listed == {("acme", WELCOME_KEY): 2, ("default", WELCOME_KEY): 1}
    assert lf.ok("workflows", "show", WELCOME_KEY, "--tenant", "acme").stdout.startswith(
        f"# {WELCOME_KEY} version 2"
    )
    assert "name: New Lead Welcome" in lf.ok("workflows", "show", WELCOME_KEY).stdout

    header = ["ContactKey", "FirstName", "Email", "TimeZone"]
    mine = write_csv(
        tmp_path / "d.csv", [["d1", "Dee", "d1@example.com", "America/Chicago"]], header
    )
    theirs = write_csv(
        tmp_path / "a.csv", [["a1", "Al", "a1@example.com", "America/Chicago"]], header
    )
    lf.ok("contacts", "import", mine)
    lf.ok("contacts", "import", theirs, "--tenant", "acme")
    assert lf.json("enroll", WELCOME_KEY, "--all", "--tenant", "acme")["created"] == 1
    acme_runs = lf.runs("--workflow", WELCOME_KEY, "--tenant", "acme")
    assert [(r["contact_id"], r["version"]) for r in acme_runs] == [("a1", 2)]
    assert lf.runs("--workflow", WELCOME_KEY) == []  # the default tenant's workflow: no runs
    assert lf.json("enroll", WELCOME_KEY, "--all")["created"] == 1
    assert [r["contact_id"] for r in lf.runs("--workflow", WELCOME_KEY)] == ["d1"]

    plan = lf.json(
        "runs", "migrate", WELCOME_KEY, "--to-version", "1", "--tenant", "acme", "--dry-run"
    )
    assert sum(m["runs"] for m in plan["moves"]) == 1  # acme's run only
    assert_fails(
        lf("runs", "migrate", WELCOME_KEY, "--to-version", "2", "--dry-run"),
        f"workflow '{WELCOME_KEY}' of tenant 'default' has no version 2",
    )


def test_a_contact_key_taken_elsewhere_is_refused_without_saying_whose(
    lf: Leadflow, tmp_path: Path
) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    header = ["ContactKey", "FirstName", "Email"]
    lf.ok(
        "contacts", "import", write_csv(tmp_path / "a.csv", [["k1", "Al", "a@example.com"]], header)
    )
    again = write_csv(tmp_path / "b.csv", [["k1", "Bo", "b@example.com"]], header)
    out = lf.json("contacts", "import", again, "--tenant", "acme", expect_code=1)
    assert out["rejected_rows"] == [
        {"line": 2, "reason": "ContactKey: 'k1' is already in use; choose another"}
    ]
    result = lf("contacts", "import", again, "--tenant", "acme")
    assert "tenant" not in result.output
