"""Criteria learned from viewed / saved listings, and how they fill what a lead left unsaid."""

from __future__ import annotations

from typing import Any

from leadflow.listings.learned import learn_criteria, merged
from leadflow.listings.ranking import MatchCriteria
from leadflow.model.listings import Listing


def seen(key: str, **kw: Any) -> Listing:
    base: dict[str, Any] = {
        "list_price": 400_000.0,
        "bedrooms_total": 3,
        "bathrooms_total_integer": 2,
        "city": "Austin",
        "postal_code": "78704",
        "property_sub_type": "Condominium",
    }
    base.update(kw)
    return Listing("t", key, **base)


def test_nothing_looked_at_learns_nothing() -> None:
    assert learn_criteria([]) is None


def test_price_band_min_counts_places_types_and_majority_features() -> None:
    looked = [
        (seen("A", list_price=300_000.0, pool_private_yn=True, garage_spaces=1.0), 1),
        (seen("B", list_price=500_000.0, bedrooms_total=2, garage_spaces=2.0), 1),
        (seen("C", list_price=400_000.0, city="Round Rock", postal_code="78664",
              property_sub_type="Townhouse", pool_private_yn=True), 2),  # saved: counts twice
    ]  # fmt: skip
    got = learn_criteria(looked)
    assert got is not None
    assert (got.min_price, got.max_price) == (340_000, 460_000)  # median 400k, 15 % either side
    assert (got.min_beds, got.min_baths) == (2, 2)
    assert got.cities == ("Austin", "Round Rock")
    assert got.postal_codes == ("78704", "78664")
    assert got.property_sub_types == ("Condominium", "Townhouse")
    assert got.features == ("pool",)  # pool: 3 of 4 votes; garage: 2 of 4, not most


def test_stated_criteria_win_and_learned_ones_fill_the_gaps() -> None:
    learned = MatchCriteria(
        min_beds=2, min_price=340_000, max_price=460_000, cities=("Austin",), features=("pool",)
    )
    stated = MatchCriteria(min_beds=4, postal_codes=("78745",))
    got = merged(stated, learned)
    assert got.min_beds == 4
    assert (got.min_price, got.max_price) == (340_000, 460_000)
    assert got.postal_codes == ("78745",) and got.cities == ()  # the lead named its place
    assert got.features == ("pool",)
    assert merged(None, learned) == learned
    assert merged(stated, None) == stated
    assert merged(None, None) == MatchCriteria()
