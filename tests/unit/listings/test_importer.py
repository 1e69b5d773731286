"""Listings import: CSV and JSON rows checked against RESO names, every rejected row named."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from leadflow.errors import InvalidInput, NotFound
from leadflow.listings import (
    as_csv_rows,
    import_listings,
    parse_csv,
    parse_file,
    parse_json,
    synthetic_listings,
)
from leadflow.model.tenancy import Tenant
from leadflow.store.factory import open_store

NOW = 1_767_225_600.0


def csv_text(
    *rows: str, header: str = "ListingKey,ListPrice,City,StandardStatus,PostalCode"
) -> str:
    return "\n".join((header, *rows)) + "\n"


def test_csv_rows_become_listings() -> None:
    text = csv_text(
        "L1,450000,Boston,Active Under Contract,02134",
        "L2,  399000.5 ,Austin,active,78701",
        ",,,,",  # an empty row is skipped
        header="listingkey,ListPrice,City,StandardStatus,PostalCode",
    )
    parsed = parse_csv(io.StringIO(text), "acme")
    assert parsed.rejected == []
    one, two = parsed.listings
    assert (one.tenant_id, one.listing_key, one.list_price) == ("acme", "L1", 450000.0)
    assert one.postal_code == "02134"  # text, its zero kept
    assert one.standard_status == "ActiveUnderContract"
    assert (two.list_price, two.standard_status) == (399000.5, "Active")


def test_csv_flags_photos_and_other_columns() -> None:
    text = csv_text(
        "L1,Y,false,https://a.test/1.jpg|https://a.test/2.jpg,Forced Air",
        "L2,n,TRUE,,",
        header="ListingKey,InternetEntireListingDisplayYN,PoolPrivateYN,Photos,Heating",
    )
    one, two = parse_csv(io.StringIO(text), "acme").listings
    assert (one.internet_entire_listing_display_yn, one.pool_private_yn) == (True, False)
    assert one.photos == ["https://a.test/1.jpg", "https://a.test/2.jpg"]
    assert one.extra == {"Heating": "Forced Air"}
    assert (two.internet_entire_listing_display_yn, two.pool_private_yn) == (False, True)
    assert (two.photos, two.extra) == ([], {})


def test_every_bad_csv_row_is_reported_with_its_line_and_field() -> None:
    text = csv_text(
        "L1,450000,Boston,Active,02134",
        "L2,cheap,Boston,Active,02134",
        '"L3",100,"Multi\nline",Sold,02134',
        "L4,-5,Austin,Active,78701",
        ",1,Austin,Active,78701",
        "L1,1,Austin,Active,78701",
    )
    parsed = parse_csv(io.StringIO(text), "acme")
    assert [x.listing_key for x in parsed.listings] == ["L1"]
    got = {r.line: r.reason for r in parsed.rejected}
    assert list(got) == [3, 4, 6, 7, 8]
    assert got[3].startswith("ListPrice: Input should be a valid number")
    assert got[4].startswith(
        "StandardStatus: Input should be 'Active'"
    )  # a quoted cell spans lines
    assert got[6].startswith("ListPrice: Input should be greater than or equal to 0")
    assert got[7] == "ListingKey: Field required"
    assert got[8] == "ListingKey: 'L1' appears again (first at line 2)"
    assert parsed.rejected[0].where == "line 3"


def test_a_csv_without_listing_key_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no ListingKey column"):
        parse_csv(io.StringIO("ListPrice,City\n1,Austin\n"), "acme")
    with pytest.raises(InvalidInput, match="empty"):
        parse_csv(io.StringIO(""), "acme")


def test_json_list_or_reso_web_api_value() -> None:
    items = [
        {"ListingKey": "L1", "ListPrice": 1, "PostalCode": "02134", "DaysOnMarket": 4},
        {"ListingKey": "L2", "StandardStatus": "ComingSoon", "Photos": ["https://a.test/x.jpg"]},
    ]
    for text in (json.dumps(items), json.dumps({"@odata.context": "x", "value": items})):
        parsed = parse_json(text, "acme")
        assert parsed.rejected == []
        assert [x.listing_key for x in parsed.listings] == ["L1", "L2"]
        assert parsed.listings[0].extra == {"DaysOnMarket": 4}
        assert parsed.listings[1].standard_status == "ComingSoon"


def test_bad_json_items_are_reported_with_their_index() -> None:
    items = [
        {"ListingKey": "L1"},
        {"ListingKey": "L2", "PostalCode": 2134},
        "not an object",
        {"ListingKey": "L4", "Latitude": 91, "InternetEntireListingDisplayYN": "maybe"},
    ]
    parsed = parse_json(json.dumps(items), "acme")
    assert [x.listing_key for x in parsed.listings] == ["L1"]
    assert [(r.index, r.where) for r in parsed.rejected] == [
        (1, "item 1"),
        (2, "item 2"),
        (3, "item 3"),
    ]
    assert parsed.rejected[0].reasons == ("PostalCode: Input should be a valid string",)
    assert parsed.rejected[1].reasons == ("row: must be an object",)
    assert [r.split(":")[0] for r in parsed.rejected[2].reasons] == [
        "Latitude",
        "InternetEntireListingDisplayYN",
    ]


@pytest.mark.parametrize("text", ["{", '{"items": []}', "42"])
def test_json_that_is_not_a_list_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_json(text, "acme")


def test_synthetic_listings_are_fixed_by_the_seed_and_import_cleanly(tmp_path: Path) -> None:
    a, b = synthetic_listings(40, seed=5), synthetic_listings(40, seed=5)
    assert a == b and a != synthetic_listings(40, seed=6)
    assert len({x["ListingKey"] for x in a}) == 40
    (tmp_path / "l.json").write_text(json.dumps(a), encoding="utf-8")
    header, rows = as_csv_rows(a)
    with (tmp_path / "l.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    from_json = parse_file(tmp_path / "l.json", "acme")
    from_csv = parse_file(tmp_path / "l.csv", "acme")
    assert from_json.rejected == [] == from_csv.rejected
    assert from_json.listings == from_csv.listings


def test_import_is_all_or_nothing_unless_told_to_skip() -> None:
    store = open_store("memory://")
    store.create_tenant(Tenant("acme", "Acme"), NOW)
    parsed = parse_json(
        json.dumps([{"ListingKey": "L1"}, {"ListingKey": "L2", "ListPrice": "x"}]), "acme"
    )
    with pytest.raises(InvalidInput, match="1 row"):
        import_listings(store, "acme", parsed, NOW)
    assert store.count_listings("acme") == 0
    changes = import_listings(store, "acme", parsed, NOW, skip_invalid=True)
    assert (changes.inserted, store.count_listings("acme")) == (1, 1)
    with pytest.raises(NotFound, match="no tenant 'ghost'"):
        import_listings(store, "ghost", parsed, NOW, skip_invalid=True)
