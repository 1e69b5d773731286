"""Scoring configuration: validation with the field named, normalisation, per-tenant storage."""

from __future__ import annotations

import re

import pytest

from leadflow.scoring.config import (
    ScoringConfigError,
    load_config,
    make_config,
    parse_bands,
    parse_weights,
    save_config,
)
from leadflow.store import open_store


def test_weights_are_normalised_to_sum_to_one() -> None:
    config = make_config(weights=parse_weights("0.5,0.25,0.25"))
    assert config.weights == {"behavioural": 0.5, "demographic": 0.25, "engagement": 0.25}
    config = make_config(weights=parse_weights("2,1,1"))
    assert config.weights == {"behavioural": 0.5, "demographic": 0.25, "engagement": 0.25}
    assert sum(make_config().weights.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": {"behavioural": -1, "demographic": 1}}, "weights.behavioural: must be a non"),
        ({"weights": {"behavioural": 0, "demographic": 0}}, "weights: must sum to more than 0"),
        ({"weights": {"social": 1}}, "weights: unknown component social"),
        ({"half_life_days": 0}, "half_life_days: must be a number above 0"),
        ({"bands": {"hot": 140}}, "bands.hot: lower bound must be 0-100"),
        ({"bands": {"warm": 40, "hot": 40}}, "bands: two bands share a lower bound"),
    ],
)
def test_bad_configuration_names_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ScoringConfigError, match=re.escape(message)):
        make_config(**kwargs)  # type: ignore[arg-type]


def test_parsers_report_the_bad_part() -> None:
    with pytest.raises(ScoringConfigError, match="expected 3 numbers"):
        parse_weights("0.5,0.5")
    with pytest.raises(ScoringConfigError, match="not a list of numbers"):
        parse_weights("a,b,c")
    with pytest.raises(ScoringConfigError, match="bands: expected NAME=NUMBER"):
        parse_bands("warm")
    with pytest.raises(ScoringConfigError, match=r"bands\.hot: not a number"):
        parse_bands("warm=40,hot=x")


def test_custom_bands_start_with_cold_at_zero() -> None:
    config = make_config(bands=parse_bands("warm=30,hot=60,on_fire=90"))
    assert [name for name, _ in config.bands] == ["cold", "warm", "hot", "on_fire"]
    assert [config.band_of(s) for s in (29, 30, 60, 95)] == ["cold", "warm", "hot", "on_fire"]


def test_each_tenant_keeps_its_own_configuration(tmp_path: object) -> None:
    store = open_store(f"sqlite:///{tmp_path}/scores.db", check_schema=False)
    try:
        store.upgrade()
        save_config(store, "acme", make_config(weights={"engagement": 1}, half_life_days=14))
        acme = load_config(store, "acme")
        assert acme.weights == {"behavioural": 0.0, "demographic": 0.0, "engagement": 1.0}
        assert acme.half_life_days == 14
        assert load_config(store, "other") == make_config()
    finally:
        store.close()
