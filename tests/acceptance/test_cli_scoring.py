"""``leadflow scoring show|config``: a lead's score with its factors, a tenant's weights."""

from __future__ import annotations

import pytest

from support.cli import Leadflow, assert_fails

ANN = ["c1", "Ann", "Lee", "ann@example.com", "+1 415 555 0101", "America/Los_Angeles", "CA"]


@pytest.fixture
def scored(lf: Leadflow) -> Leadflow:
    """Ann (tenant default) saved three listings and opened one e-mail; the worker ran."""
    lf.init()
    lf.import_contacts([ANN])
    for i in range(3):
        lf.ok("events", "emit", "listing.saved", "--contact", "c1", "--data", f'{{"n": {i}}}')
    lf.ok("events", "emit", "email.opened", "--contact", "c1", "--data", '{"message_id": 1}')
    lf.ok("worker", "--until-idle")
    return lf


def test_show_prints_the_score_band_and_factors(scored: Leadflow) -> None:
    data = scored.json("scoring", "show", "c1")
    assert data["score"] == pytest.approx(11.1)  # 3 x 8 x 0.4 + 5 x 0.3
    assert data["band"] == "cold"
    points = {f["factor"]: f["points"] for f in data["factors"]}
    assert points["listings_saved"] == 9.6
    assert points["email_opens"] == 1.5
    assert sum(points.values()) == pytest.approx(data["score"])
    text = scored.ok("scoring", "show", "c1").stdout
    assert "c1: score 11.1 (cold)" in text
    assert "listings_saved" in text


def test_config_changes_only_that_tenants_weights(scored: Leadflow) -> None:
    before = scored.json("scoring", "config", "--tenant", "default")
    assert before["weights"] == {"behavioural": 0.4, "demographic": 0.3, "engagement": 0.3}
    assert before["bands"] == {"cold": 0.0, "warm": 40.0, "hot": 70.0}
    changed = scored.json(
        "scoring",
        "config",
        "--tenant",
        "default",
        "--weights",
        "2,1,1",
        "--half-life-days",
        "14",
        "--bands",
        "warm=10,hot=20",
    )
    assert changed["weights"] == {"behavioural": 0.5, "demographic": 0.25, "engagement": 0.25}
    assert changed["half_life_days"] == 14
    data = scored.json("scoring", "show", "c1")
    assert data["score"] == pytest.approx(3 * 8 * 0.5 + 5 * 0.25)
    assert data["band"] == "warm"
    other = scored.json("scoring", "config", "--tenant", "acme")
    assert other["weights"]["behavioural"] == 0.4
    reset = scored.json("scoring", "config", "--tenant", "default", "--reset")
    assert reset == before | {"tenant": "default"}


def test_bad_input_is_named(scored: Leadflow) -> None:
    assert_fails(
        scored("scoring", "config", "--tenant", "default", "--weights", "1,-1,0"),
        "weights.demographic: must be a non-negative number",
    )
    assert_fails(
        scored("scoring", "config", "--tenant", "default", "--weights", "0,0,0"),
        "weights: must sum to more than 0",
    )
    assert_fails(
        scored("scoring", "config", "--tenant", "default", "--half-life-days", "0"),
        "half_life_days: must be a number above 0",
    )
    assert_fails(scored("scoring", "show", "nobody"), "CONTACT_ID: no contact 'nobody'")
