"""``leadflow listings parse-criteria`` from the command line."""

from __future__ import annotations

from support.cli import Leadflow, assert_fails, squash


def test_the_two_example_phrasings_as_json(lf: Leadflow) -> None:
    out = lf.json("listings", "parse-criteria", "3 bed condo in Austin under 450k with a pool",
                  db=False)  # fmt: skip
    assert out == {
        "min_beds": 3,
        "min_baths": None,
        "min_price": None,
        "max_price": 450000,
        "cities": ["Austin"],
        "postal_codes": [],
        "property_sub_types": ["Condominium"],
        "features": ["pool"],
    }
    out = lf.json("listings", "parse-criteria", "2+ baths near 78704, max $600,000", db=False)
    assert out == {
        "min_beds": None,
        "min_baths": 2,
        "min_price": None,
        "max_price": 600000,
        "cities": [],
        "postal_codes": ["78704"],
        "property_sub_types": [],
        "features": [],
    }


def test_a_range_and_several_cities_as_json(lf: Leadflow) -> None:
    text = "three bedroom townhome in San Antonio or Round Rock, $300-450k"
    out = lf.json("listings", "parse-criteria", text, db=False)
    assert (out["min_beds"], out["min_price"], out["max_price"]) == (3, 300000, 450000)
    assert out["cities"] == ["San Antonio", "Round Rock"]
    assert out["property_sub_types"] == ["Townhouse"]


def test_readable_table_without_json(lf: Leadflow) -> None:
    result = lf.ok("listings", "parse-criteria", "2.5 baths house in Austin 300k to 1.2m",
                   db=False)  # fmt: skip
    text = squash(result.stdout)
    for needle in ("min_baths │ 2.5", "min_price │ 300,000", "max_price │ 1,200,000",
                   "cities │ Austin", "property_sub_types │ SingleFamilyResidence"):  # fmt: skip
        assert needle in text, (needle, text)


def test_empty_text_is_refused_naming_the_argument(lf: Leadflow) -> None:
    assert_fails(lf("listings", "parse-criteria", "  ", "--json", db=False), "TEXT: is empty")
    assert_fails(lf("listings", "parse-criteria", db=False), "Missing argument 'TEXT'", code=2)
