"""Ranking: who is a candidate at all, and the points each criterion gives."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.listings.ranking import WEIGHTS, ListingIndex, MatchCriteria, sendable, weights
from leadflow.model.listings import Listing


def listing(key: str, **kw: Any) -> Listing:
    base: dict[str, Any] = {
        "standard_status": "Active",
        "internet_entire_listing_display_yn": True,
        "list_price": 400_000.0,
        "bedrooms_total": 3,
        "bathrooms_total_integer": 2,
        "city": "Austin",
        "postal_code": "78704",
        "property_sub_type": "Condominium",
        "living_area": 1500.0,
    }
    base.update(kw)
    return Listing("t", key, **base)


def test_weights_add_up_to_100_and_no_criteria_scores_everyone_full() -> None:
    assert sum(WEIGHTS.values()) == 100
    [m] = ListingIndex([listing("A")]).top(MatchCriteria(), 5)
    assert m.score == 100
    assert m.reasons == {}


def test_only_stated_criteria_count_scaled_to_100() -> None:
    crit = MatchCriteria(max_price=300_000.0, cities=("Austin",))
    assert weights(crit) == {"price": 60.0, "location": 40.0}
    rows = [
        listing("in-town-dear"),
        listing("cheap-away", list_price=250_000.0, city="Waco", postal_code="76701"),
    ]
    got = {m.listing.listing_key: m for m in ListingIndex(rows).top(crit, 5)}
    assert got["in-town-dear"].reasons == {"price": 0.0, "location": 40.0}
    assert got["cheap-away"].reasons == {"price": 60.0, "location": 0.0}
    assert all(m.score == sum(m.reasons.values()) for m in got.values())


def test_only_active_listings_with_idx_permission_are_candidates() -> None:
    rows = [
        listing("ok"),
        listing("spaced", standard_status="active"),
        listing("no-idx", internet_entire_listing_display_yn=False),
        listing("idx-unknown", internet_entire_listing_display_yn=None),
        listing("pending", standard_status="Pending"),
        listing("uc", standard_status="Active Under Contract"),
    ]
    index = ListingIndex(rows)
    keys = [m.listing.listing_key for m in index.top(MatchCriteria(), 10)]
    assert keys == ["ok", "spaced"]
    assert not sendable(rows[2])


def test_each_criterion_explains_its_points() -> None:
    rows = [
        listing("fit", pool_private_yn=True),
        listing("dear", list_price=460_000.0),  # 15 % over the maximum
        listing("small", bedrooms_total=2, bathrooms_total_integer=1, living_area=1125.0),
        listing(
            "house", property_sub_type="SingleFamilyResidence", city="Denver", postal_code="80202"
        ),
        listing("unpriced", list_price=None),
    ]
    crit = MatchCriteria.from_mapping(
        {
            "max_price": 400_000,
            "min_beds": 3,
            "min_baths": 2,
            "min_area": 1500,
            "cities": ["austin"],
            "property_sub_types": ["Condominium"],
            "features": ["pool", "garage"],
        }
    )
    found = {m.listing.listing_key: m for m in ListingIndex(rows).top(crit, 10)}
    assert found["fit"].reasons == {**WEIGHTS, "features": 5.0}
    assert found["fit"].score == 95
    assert found["dear"].reasons["price"] == pytest.approx(30 * 0.25, abs=0.01)
    small = found["small"].reasons
    assert (small["beds"], small["baths"], small["area"]) == (7.5, 5.0, 0.0)
    house = found["house"].reasons
    assert (house["type"], house["location"]) == (0.0, 0.0)
    assert found["unpriced"].reasons["price"] == 0.0
    floor = MatchCriteria(min_price=300_000.0)
    scores = {m.listing.listing_key: m.score for m in ListingIndex(rows).top(floor, 10)}
    assert scores["unpriced"] == 0 and scores["fit"] == 100
    ranked = ListingIndex(rows).top(crit, 10)
    assert ranked[0].listing.listing_key == "fit"
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)


def test_distance_from_a_wanted_point() -> None:
    austin = (30.2672, -97.7431)
    rows = [
        listing("here", latitude=30.27, longitude=-97.74),
        listing("25km", latitude=30.27 + 25 / 111.2, longitude=-97.74),  # about 25 km north
        listing("far", latitude=32.78, longitude=-96.80, city="Dallas"),
        listing("unknown-pos", postal_code="78704"),
    ]
    index = ListingIndex(rows)
    km = index.distance_km(*austin)
    assert km[index.position["here"]] < 1
    assert 24 < km[index.position["25km"]] < 26
    crit = MatchCriteria.from_mapping(
        {"near": list(austin), "radius_km": 10, "postal_codes": ["78704"]}
    )
    got = {m.listing.listing_key: m.reasons["location"] for m in index.top(crit, 10)}
    assert got["here"] == 100  # location is the only criterion stated
    assert got["25km"] == pytest.approx(100 * (1 - 15 / 20), abs=2.5)
    assert got["far"] == 0
    assert got["unknown-pos"] == 100  # no position: its postal code decides


def test_top_k_excludes_keys_respects_min_score_and_breaks_ties_by_key() -> None:
    rows = [listing(f"L{i:02d}", list_price=300_000.0 + i * 10_000) for i in range(20)]
    index = ListingIndex(rows)
    crit = MatchCriteria(max_price=350_000.0)
    top = index.top(crit, 3)
    assert [m.listing.listing_key for m in top] == ["L00", "L01", "L02"]
    again = index.top(crit, 3, exclude=["L00", "L02"])
    assert [m.listing.listing_key for m in again] == ["L01", "L03", "L04"]
    assert all(m.score >= 99 for m in index.top(crit, 20, min_score=99))
    assert len(index.top(crit, 20, min_score=99)) == 6  # L00..L05 are within the maximum
    assert index.top(crit, 5, exclude=[r.listing_key for r in rows]) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"min_beds": "three"}, "criteria.min_beds: expected a number"),
        ({"min_beds": 2.5}, "criteria.min_beds: must be a whole number"),
        ({"max_price": -1}, "criteria.max_price: must be a number >= 0"),
        ({"cities": [1]}, "criteria.cities: expected a list of strings"),
        ({"features": ["moat"]}, "criteria.features: unknown moat"),
        ({"near": [100, 0]}, "criteria.near: expected [latitude, longitude]"),
        ({"min_price": 5, "max_price": 1}, "criteria.min_price: is above max_price"),
    ],
)
def test_bad_criteria_name_the_field(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        MatchCriteria.from_mapping(data)
