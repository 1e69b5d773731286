"""The score's arithmetic: decay, weights, caps, contributions and bands."""

from __future__ import annotations

import math

import pytest

from leadflow.model.records import Contact, Event
from leadflow.scoring.config import make_config
from leadflow.scoring.rules import DAY, FACTORS, compute_score, decayed_counts

NOW = 1_700_000_000.0


def _events(*items: tuple[str, float]) -> list[Event]:
    """(type, age in days) -> events of contact c1."""
    return [
        Event(i + 1, type_, "c1", {}, f"k{i}", NOW - age * DAY, NOW - age * DAY)
        for i, (type_, age) in enumerate(items)
    ]


def _factor(score: object, name: str) -> dict[str, object]:
    found = [f for f in score.as_dict()["factors"] if f["factor"] == name]  # type: ignore[attr-defined]
    assert len(found) == 1
    return found[0]


def test_an_event_counts_half_at_the_half_life_and_a_quarter_at_two() -> None:
    counts = decayed_counts(
        _events(("listing.saved", 0), ("site.visited", 30), ("email.opened", 60)), NOW, 30
    )
    assert counts == {"listing.saved": 1.0, "site.visited": 0.5, "email.opened": 0.25}
    # A 14-day half-life: an event 14 days old counts half.
    assert decayed_counts(_events(("site.visited", 14)), NOW, 14)["site.visited"] == 0.5


def test_future_and_unscored_events_count_nothing() -> None:
    events = _events(("listing.saved", -1), ("lead.created", 0), ("email.machine_opened", 0))
    assert decayed_counts(events, NOW, 30) == {}


def test_machine_opens_never_move_the_score() -> None:
    contact = Contact("c1")
    config = make_config()
    base = compute_score(contact, _events(("email.opened", 0)), config, NOW)
    more = compute_score(
        contact,
        _events(("email.opened", 0), *[("email.machine_opened", 0)] * 20),
        config,
        NOW,
    )
    assert more.score == base.score
    flagged = _events(("email.opened", 0), ("email.opened", 0))
    flagged[1].data["sg_machine_open"] = True
    assert compute_score(contact, flagged, config, NOW).score == base.score
    assert _factor(more, "email_opens")["value"] == 1.0


def test_contributions_sum_to_the_score_and_are_weighted_component_points() -> None:
    contact = Contact(
        "c1",
        fields={
            "budget": "450k",
            "timeline": "0-3 months",
            "pre_approved": True,
            "location_fit": 0.5,
        },
    )
    events = _events(
        ("listing.saved", 0),
        ("listing.saved", 0),
        ("listing.saved", 0),
        ("listing.viewed", 10),
        ("site.visited", 2),
        ("email.opened", 1),
        ("email.clicked", 1),
        ("sms.received", 0),
    )
    score = compute_score(contact, events, make_config(), NOW)
    assert math.isclose(sum(f.points for f in score.factors), score.score, abs_tol=1e-9)
    # Three saves now: 3 x 8 component points, weighted 0.4 -> 9.6 score points.
    assert _factor(score, "listings_saved") == {
        "factor": "listings_saved",
        "component": "behavioural",
        "value": 3.0,
        "points": 9.6,
    }
    # Demographic: budget 25 + timeline 30 + pre-approval 25 + half the location fit (10) = 90.
    assert score.components["demographic"] == pytest.approx(90.0)
    assert _factor(score, "timeline")["points"] == pytest.approx(9.0)
    weighted = sum(make_config().weights[c] * p for c, p in score.components.items())
    assert score.score == pytest.approx(weighted)


def test_a_factor_is_capped_and_a_component_never_exceeds_100() -> None:
    everything = _events(
        *[(t, 0) for t in ("listing.saved", "listing.viewed", "site.visited", "lead.inquiry")] * 50,
        *[(t, 0) for t in ("email.opened", "email.clicked", "sms.received")] * 50,
    )
    contact = Contact(
        "c1",
        fields={"budget": 900000, "timeline": "ASAP", "pre_approved": "yes", "location_fit": True},
    )
    score = compute_score(contact, everything, make_config(), NOW)
    assert score.components == {"behavioural": 100.0, "demographic": 100.0, "engagement": 100.0}
    assert score.score == pytest.approx(100.0)
    assert score.band == "hot"
    assert _factor(score, "listings_saved")["points"] == pytest.approx(0.4 * 40)


def test_weights_change_the_score_and_an_empty_lead_is_cold_at_zero() -> None:
    contact = Contact("c1", fields={"budget": 500000, "timeline": "0-3 months"})
    events = _events(("listing.saved", 0))
    default = compute_score(contact, events, make_config(), NOW)
    demo_only = compute_score(contact, events, make_config(weights={"demographic": 2}), NOW)
    assert default.score == pytest.approx(0.4 * 8 + 0.3 * 55)
    assert demo_only.score == pytest.approx(55.0)
    empty = compute_score(Contact("c2"), [], make_config(), NOW)
    assert (empty.score, empty.band) == (0.0, "cold")
    assert {f.factor for f in empty.factors} == {f.name for f in FACTORS}


def test_location_fit_from_the_cities_served() -> None:
    inside = Contact("c1", fields={"target_city": "Austin", "service_cities": ["austin", "Waco"]})
    outside = Contact("c2", fields={"target_city": "Dallas", "service_cities": ["Austin"]})
    config = make_config()
    assert _factor(compute_score(inside, [], config, NOW), "location_fit")["points"] == 6.0
    assert _factor(compute_score(outside, [], config, NOW), "location_fit")["points"] == 0.0


@pytest.mark.parametrize(
    ("score", "band"), [(0, "cold"), (39.99, "cold"), (40, "warm"), (69.9, "warm"), (70, "hot")]
)
def test_default_bands(score: float, band: str) -> None:
    assert make_config().band_of(score) == band
