"""``leadflow tenants senders``: the operator registers, lists and removes a tenant's senders; a
number belongs to one tenant."""

from __future__ import annotations

from support.cli import Leadflow, assert_fails


def test_a_tenants_number_is_its_own(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    lf.ok("tenants", "create", "beta", "--name", "Beta Homes")
    added = lf.ok(
        "tenants", "senders", "add", "+1 (512) 555-0100", "--tenant", "acme", "--kind", "phone"
    )
    assert "+15125550100" in added.stdout
    mail = ["agent@acme.example", "--tenant", "acme", "--kind", "email", "--label", "Acme"]
    lf.ok("tenants", "senders", "add", *mail)
    listed = lf.json("tenants", "senders", "list", "--tenant", "acme")
    assert [(s["kind"], s["address"], s["label"]) for s in listed] == [
        ("email", "agent@acme.example", "Acme"),
        ("phone", "+15125550100", None),
    ]
    taken = lf("tenants", "senders", "add", "+15125550100", "--tenant", "beta", "--kind", "phone")
    assert_fails(taken, "another tenant's sender")
    bad = lf("tenants", "senders", "add", "call me", "--tenant", "beta", "--kind", "phone")
    assert_fails(bad, "address", "phone number")
    nobody = lf("tenants", "senders", "add", "+13125550142", "--tenant", "gamma", "--kind", "phone")
    assert_fails(nobody, "no tenant 'gamma'")
    assert lf.json("tenants", "senders", "list", "--tenant", "beta") == []
    lf.ok("tenants", "senders", "remove", "+15125550100", "--tenant", "acme", "--kind", "phone")
    lf.ok("tenants", "senders", "add", "+15125550100", "--tenant", "beta", "--kind", "phone")
    assert [s["address"] for s in lf.json("tenants", "senders", "list", "--tenant", "beta")] == [
        "+15125550100"
    ]
