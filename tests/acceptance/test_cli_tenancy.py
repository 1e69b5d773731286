"""Tenants, teams, agents and API keys from the command line."""

from __future__ import annotations

from support.cli import Leadflow, assert_fails, write_csv


def test_a_brokerage_with_a_team_agents_and_keys(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    assert [t["id"] for t in lf.json("tenants", "list")] == ["acme"]
    lf.ok("teams", "add", "north", "--tenant", "acme", "--name", "North Team", "--lead", "a1")
    members = write_csv(
        lf.tmp_path / "members.csv",
        [["a1", "Ann", "Lee", "ann@acme.test", "north"], ["a2", "Bob", "Ray", "bob@acme.test", ""]],
        header=["MemberKey", "MemberFirstName", "MemberLastName", "MemberEmail", "TeamKey"],
    )
    assert lf.json("agents", "import", members, "--tenant", "acme") == {
        "inserted": 2,
        "updated": 0,
    }
    assert [a["MemberKey"] for a in lf.json("agents", "list", "--tenant", "acme")] == ["a1", "a2"]
    created = lf.json("keys", "create", "--tenant", "acme", "--role", "manager", "--agent", "a1")
    token = created["key"]
    assert token.startswith(f"lf_{created['id']}_")
    # the key is shown once: not in the list, not in the database file
    listed = lf.json("keys", "list", "--tenant", "acme")
    assert [(k["id"], k["role"], k["agent"], k["revoked_at"]) for k in listed] == [
        (created["id"], "manager", "a1", None)
    ]
    secret = token.split("_", 2)[2]
    assert secret.encode() not in lf.db_path.read_bytes()
    assert token not in lf.ok("keys", "list", "--tenant", "acme").stdout
    # revoke
    assert "revoked" in lf.ok("keys", "revoke", created["id"]).stdout
    assert "already revoked" in lf.ok("keys", "revoke", created["id"]).stdout
    (key,) = lf.json("keys", "list", "--tenant", "acme")
    assert key["revoked_at"] is not None


def test_clear_errors(lf: Leadflow) -> None:
    lf.init()
    assert_fails(lf("tenants", "create", "Acme!", "--name", "x"), "tenant: 'Acme!' is not a slug")
    assert_fails(lf("keys", "create", "--tenant", "ghost", "--role", "admin"), "no tenant 'ghost'")
    lf.ok("tenants", "create", "acme", "--name", "Acme")
    assert_fails(lf("keys", "create", "--tenant", "acme", "--role", "boss"), "role: must be one of")
    assert_fails(
        lf("keys", "create", "--tenant", "acme", "--role", "agent"), "needs its agent (--agent"
    )
    bad = write_csv(lf.tmp_path / "bad.csv", [["a1", "Al"]], header=["MemberKey", "Nickname"])
    assert_fails(
        lf("agents", "import", bad, "--tenant", "acme"), "line 2: unknown field(s) Nickname"
    )
    assert_fails(lf("keys", "revoke", "nope"), "KEY_ID: no API key 'nope'")
    assert lf.json("agents", "list", "--tenant", "acme") == []
