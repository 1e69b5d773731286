"""``leadflow contacts erase``: the right to erasure from the command line -- asks first
(unless --yes), cancels the lead's run, removes it from every list, prints the audit receipt,
and refuses a contact of another tenant."""

from __future__ import annotations

import sqlite3

from leadflow.cli.app import app
from leadflow.model.erasure import contact_digest
from support.cli import Leadflow, assert_fails

ROWS = [
    ["c1", "Ann", "Lee", "ann@example.com", "+1 415 555 0101", "America/Los_Angeles", "CA"],
    ["c2", "Bob", "Ray", "bob@example.com", "(212) 555-0102", "", "NY"],
]


def test_erase_asks_then_erases_everywhere(ready: Leadflow) -> None:
    lf = ready
    lf.import_contacts(ROWS, "--emit", "lead.created")
    lf.worker("--until-idle")
    run = lf.run_of("c1")
    assert run["status"] in ("waiting", "active")

    refused = lf.runner.invoke(app, ["contacts", "erase", "c1", "--db", lf.db], input="n\n")
    assert refused.exit_code != 0
    assert [c["id"] for c in lf.json("contacts", "list")] == ["c1", "c2"]

    receipt = lf.json("contacts", "erase", "c1", "--yes")

    assert receipt["contact_sha256"] == contact_digest("c1")
    assert receipt["counts"]["contacts"] == 1 and receipt["counts"]["runs"] == 1
    assert receipt["erased_by"].startswith("cli")
    assert [c["id"] for c in lf.json("contacts", "list")] == ["c2"]
    assert lf.runs("--contact", "c1") == []
    stopped = [r for r in lf.runs() if r["id"] == run["id"]]
    assert [(r["status"], r["exit_reason"]) for r in stopped] == [("cancelled", "erased")]
    conn = sqlite3.connect(lf.db_path)
    try:
        (left,) = conn.execute(
            "SELECT count(*) FROM messages WHERE to_addr = '+14155550101' OR contact_id = 'c1'"
        ).fetchone()
    finally:
        conn.close()
    assert left == 0
    assert_fails(lf("contacts", "erase", "c1", "--yes"), "no contact 'c1'")


def test_a_contact_of_another_tenant_is_not_found(ready: Leadflow) -> None:
    ready.import_contacts(ROWS)
    assert_fails(ready("contacts", "erase", "c2", "--tenant", "zeta", "--yes"), "no contact 'c2'")
    assert [c["id"] for c in ready.json("contacts", "list")] == ["c1", "c2"]
