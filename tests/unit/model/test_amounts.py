"""Budgets and prices as leads and imports write them, read one way by every feature."""

from __future__ import annotations

import math

import pytest

from leadflow.model.amounts import amount


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        (850000, 850000.0),
        (1.5, 1.5),
        ("850000", 850000.0),
        ("$850k", 850000.0),
        ("1.2M", 1200000.0),
        (" 1,200,000 ", 1200000.0),
        ("$1,250", 1250.0),
    ],
)
def test_amounts_in_their_usual_spellings(written: object, meant: float) -> None:
    assert amount(written) == meant


@pytest.mark.parametrize("written", [None, True, False, "", "k", "soon", "n/a", math.inf, "nan"])
def test_what_is_no_amount_reads_as_none(written: object) -> None:
    assert amount(written) is None
