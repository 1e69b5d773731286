"""The "also saved" criterion: cosine similarity over the leads who saved or toured two
listings, a minimum support, the sentence that explains it, and how it blends into the
100-point ranking without touching a lead who saved nothing."""

from __future__ import annotations

import math
from typing import Any

import pytest

from leadflow.listings.collaborative import (
    DEFAULT_WEIGHT,
    MIN_SUPPORT,
    CoSaves,
    also_saved,
)
from leadflow.listings.ranking import ListingIndex, MatchCriteria, weights
from leadflow.model.listings import Listing


def listing(key: str, **kw: Any) -> Listing:
    base: dict[str, Any] = {
        "standard_status": "Active",
        "internet_entire_listing_display_yn": True,
        "list_price": 400_000.0,
        "bedrooms_total": 3,
        "city": "Austin",
        "unparsed_address": f"{key} Oak St",
    }
    base.update(kw)
    return Listing("t", key, **base)


def cosaves(saves: dict[str, list[str]], recent: int = 50) -> CoSaves:
    out = CoSaves(recent)
    for lead, keys in saves.items():
        for key in keys:
            out.add(lead, key)
    return out


def test_similarity_is_the_cosine_of_the_sets_of_leads() -> None:
    # X: saved by a, b, c, d; Y: by a, b, c; Z: by a, b, e, f, g, h
    co = cosaves(
        {
            "a": ["X", "Y", "Z"],
            "b": ["X", "Y", "Z"],
            "c": ["X", "Y"],
            "d": ["X"],
            **{lead: ["Z"] for lead in "efgh"},
            "me": ["X"],
        }
    )
    got = co.similar(["X"])
    # X has 5 savers (a, b, c, d and me); Y 3, both saved by 3; Z 6, both by 2
    assert got["Y"].leads == 3 and got["Y"].because == "X"
    assert got["Y"].similarity == pytest.approx(3 / math.sqrt(5 * 3))
    assert got["Z"].similarity == pytest.approx(2 / math.sqrt(5 * 6))
    assert "X" not in got  # nothing is similar to itself for the lead


def test_a_single_co_save_is_not_a_signal() -> None:
    co = cosaves({"a": ["X", "Y"], "b": ["X", "Z"], "c": ["X", "Z"], "me": ["X"]})
    assert MIN_SUPPORT == 2
    assert set(co.similar(["X"])) == {"Z"}  # Y: only a saved it with X
    assert set(co.similar(["X"], min_support=1)) == {"Y", "Z"}


def test_the_strongest_of_the_leads_saves_explains_a_listing() -> None:
    co = cosaves(
        {
            **{lead: ["X", "Y"] for lead in "ab"},  # Y with X: 2 leads
            **{lead: ["W", "Y"] for lead in "cdef"},  # Y with W: 4 leads, the stronger
            "g": ["W"],
            "me": ["X", "W"],
        }
    )
    found = co.similar(["X", "W"])["Y"]
    assert (found.because, found.leads) == ("W", 4)


def test_a_lead_counts_with_its_most_recent_saves_only() -> None:
    co = cosaves({"a": ["OLD", "X", "Y"], "b": ["OLD", "X", "Y"]}, recent=2)
    assert co.saved_by("a") == ["X", "Y"]
    assert co.leads_of("OLD") == 0
    co.add("a", "X")  # saved again: the most recent now
    assert co.saved_by("a") == ["Y", "X"]


def test_the_criterion_explains_itself_and_its_points_add_up() -> None:
    rows = [listing("A"), listing("B"), listing("C")]
    index = ListingIndex(rows)
    co = cosaves(
        {
            **{f"l{i}": ["S", "B"] for i in range(7)},
            **{f"m{i}": ["S", "C"] for i in range(2)},
            "me": ["S"],
        }
    )
    addresses = {"S": "12 Oak St"}
    extra = also_saved(index, co.similar(co.saved_by("me")), DEFAULT_WEIGHT, addresses.get)
    assert extra is not None
    crit = MatchCriteria(max_price=450_000.0, cities=("Austin",))
    got = index.top(crit, 3, extra=[extra])
    assert [m.listing.listing_key for m in got] == ["B", "C", "A"]
    best = got[0]
    assert best.why == {"also_saved": "leads who saved 12 Oak St also saved this (7 leads)"}
    w = weights(crit, {"also_saved": DEFAULT_WEIGHT})
    assert best.reasons == {
        "price": round(w["price"], 2),
        "location": round(w["location"], 2),
        "also_saved": round(w["also_saved"], 2),  # the best co-saved listing: full points
    }
    assert got[0].score == pytest.approx(100, abs=0.02)
    assert got[1].why == {"also_saved": "leads who saved 12 Oak St also saved this (2 leads)"}
    assert got[2].why == {} and got[2].reasons["also_saved"] == 0
    assert all(m.score == pytest.approx(sum(m.reasons.values()), abs=0.02) for m in got)
    assert got[0].as_context()["why"] == best.why


def test_no_saves_weight_zero_or_no_shared_save_leave_the_ranking_as_it_was() -> None:
    rows = [listing(k, list_price=p) for k, p in (("A", 400_000.0), ("B", 440_000.0))]
    index = ListingIndex(rows)
    co = cosaves({**{lead: ["S", "B"] for lead in "abc"}, "me": ["S"], "alone": ["Q"]})
    found = co.similar(co.saved_by("me"))
    assert also_saved(index, found, 0, lambda _: None) is None  # weight 0: off
    assert also_saved(index, co.similar(co.saved_by("nobody")), 25, lambda _: None) is None
    assert also_saved(index, co.similar(co.saved_by("alone")), 25, lambda _: None) is None
    crit = MatchCriteria(max_price=420_000.0)
    plain = index.top(crit, 2)
    assert [(m.listing.listing_key, m.score, m.reasons, m.why) for m in plain] == [
        ("A", 100.0, {"price": 100.0}, {}),
        ("B", 76.19, {"price": 76.19}, {}),  # 20 % over at 504k
    ]


def test_the_key_stands_in_for_an_unknown_address() -> None:
    index = ListingIndex([listing("B")])
    co = cosaves({**{lead: ["GONE", "B"] for lead in "ab"}, "me": ["GONE"]})
    extra = also_saved(index, co.similar(["GONE"]), 25, lambda _: None)
    assert extra is not None
    assert extra.explain("B") == "leads who saved GONE also saved this (2 leads)"
