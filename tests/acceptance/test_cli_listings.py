"""``leadflow listings import|list`` from the command line."""

from __future__ import annotations

import json

from leadflow.listings.synthetic import synthetic_listings
from support.cli import Leadflow, assert_fails, write_csv

HEADER = ["ListingKey", "ListPrice", "City", "StandardStatus", "PostalCode"]


def test_import_csv_and_json_then_list(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    path = write_csv(
        lf.tmp_path / "listings.csv",
        [["L1", "450000", "Boston", "Active Under Contract", "02134"]],
        header=HEADER,
    )
    out = lf.json("listings", "import", path, "--tenant", "acme")
    assert (out["inserted"], out["updated"], out["rejected"]) == (1, 0, [])
    feed = lf.tmp_path / "feed.json"
    feed.write_text(json.dumps({"value": synthetic_listings(5, seed=1)}), encoding="utf-8")
    assert lf.json("listings", "import", feed, "--tenant", "acme")["inserted"] == 5
    again = write_csv(lf.tmp_path / "again.csv", [["L1", "440000", "Boston", "Closed", "02134"]],
                      header=HEADER)  # fmt: skip
    out = lf.json("listings", "import", again, "--tenant", "acme")
    assert (out["updated"], out["price_changes"], out["status_changes"]) == (1, 1, 1)
    listed = lf.json("listings", "list", "--tenant", "acme")
    assert len(listed) == 6 and listed[0]["ListingKey"] == "L1"
    assert listed[0]["PostalCode"] == "02134" and listed[0]["StandardStatus"] == "Closed"
    table = lf.ok("listings", "list", "--tenant", "acme").stdout
    assert "L1" in table and "440,000" in table


def test_bad_rows_are_named_and_nothing_is_imported(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    path = write_csv(
        lf.tmp_path / "bad.csv",
        [["L1", "450000", "Boston", "Active", "02134"], ["L2", "cheap", "Boston", "Active", "1"]],
        header=HEADER,
    )
    assert_fails(
        lf("listings", "import", path, "--tenant", "acme"),
        "line 3: ListPrice: Input should be a valid number",
        "1 row(s) rejected, nothing imported",
    )
    assert lf.json("listings", "list", "--tenant", "acme") == []
    out = lf.json("listings", "import", path, "--tenant", "acme", "--skip-invalid")
    assert out["inserted"] == 1 and [r["where"] for r in out["rejected"]] == ["line 3"]
    assert_fails(lf("listings", "import", path, "--tenant", "ghost"), "no tenant 'ghost'")
