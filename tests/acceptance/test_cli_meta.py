"""``leadflow meta pages``: the operator registers a tenant's Facebook page; the token is read
from a hidden prompt or the environment and never printed back."""

from __future__ import annotations

from leadflow.cli.app import app
from support.cli import Leadflow, assert_fails

TOKEN = "EAAcliPageToken9876"


def test_the_operator_registers_lists_and_removes_a_tenants_page(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    lf.ok("tenants", "create", "beta", "--name", "Beta Homes")
    added = lf.json(
        "meta", "pages", "add", "1234567890", "--tenant", "acme", "--name", "Acme",
        env={"LEADFLOW_META_PAGE_TOKEN": TOKEN},
    )  # fmt: skip
    assert added["page_id"] == "1234567890" and added["access_token"] == "…9876"
    argv = ["meta", "pages", "add", "555", "--tenant", "acme", "--db", lf.db]
    prompted = lf.runner.invoke(app, argv, input=TOKEN + "\n")
    assert prompted.exit_code == 0, prompted.output
    assert TOKEN not in prompted.output
    listed = lf.json("meta", "pages", "list", "--tenant", "acme")
    assert [p["page_id"] for p in listed] == ["1234567890", "555"]
    assert TOKEN not in str(listed)
    assert lf.json("meta", "pages", "list", "--tenant", "beta") == []
    taken = lf(
        "meta", "pages", "add", "1234567890", "--tenant", "beta",
        env={"LEADFLOW_META_PAGE_TOKEN": "EAAother0000"},
    )  # fmt: skip
    assert_fails(taken, "registered already")
    assert_fails(lf("meta", "pages", "remove", "1234567890", "--tenant", "beta"), "not found")
    lf.ok("meta", "pages", "remove", "1234567890", "--tenant", "acme")
    assert [p["page_id"] for p in lf.json("meta", "pages", "list", "--tenant", "acme")] == ["555"]
