"""Every stored GrowthBook (gbstats 0.8.0) case gives the same numbers here, to 4 decimals.

The fixture is produced by scripts/gbstats_reference.py; see its docstring for how to rebuild it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from leadflow.experiments.stats import ArmStats, analyze, mean, proportion, srm_p_value

FIXTURE = Path(__file__).parents[2] / "fixtures" / "experiments" / "gbstats_reference.json"
REFERENCE: dict[str, Any] = json.loads(FIXTURE.read_text())
CASES = REFERENCE["cases"]


def close(ours: float | None, theirs: float | None) -> bool:
    """Equal to 4 decimal places; for values beyond 1 in size, to 4 significant decimals."""
    if ours is None or theirs is None:
        return ours is theirs
    return abs(ours - theirs) < 5e-5 * max(1.0, abs(theirs))


def arm(spec: dict[str, Any]) -> ArmStats:
    pre = arm(spec["pre"]) if "pre" in spec else None
    extra: dict[str, Any] = {"pre": pre, "sum_products": spec.get("sum_products")}
    if spec["kind"] == "proportion":
        return proportion(spec["total"], spec["n"], **extra)
    return mean(spec["total"], spec["sum_squares"], spec["n"], **extra)


def test_the_fixture_covers_the_promised_ground() -> None:
    methods = {(c["options"]["method"], c["options"].get("difference", "relative")) for c in CASES}
    assert len(CASES) + len(REFERENCE["srm"]) >= 40
    assert methods == {
        (m, d) for m in ("frequentist", "sequential", "bayesian") for d in ("relative", "absolute")
    }
    assert {c["expected_code"] for c in CASES} >= {"empty_arm", "zero_baseline", "zero_variance"}
    assert sum("pre" in c["control"] for c in CASES) >= 5
    assert REFERENCE["source"] == "gbstats 0.8.0"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_analysis_matches_gbstats(case: dict[str, Any]) -> None:
    options = case["options"]
    result = analyze(arm(case["control"]), arm(case["treatment"]), **options)
    theirs = case["expected"]
    if theirs["error"] is not None:
        assert result.error is not None
        assert result.error.startswith(case["expected_code"] + ":")
        assert result.effect is None and result.p_value is None
        return
    assert result.error is None
    for field in ("effect", "ci_low", "ci_high", "std_error", "p_value", "chance_to_win"):
        assert close(getattr(result, field), theirs[field]), (field, getattr(result, field))
    if options["method"] == "bayesian":
        assert close(result.risk_control, theirs["risk"][0])
        assert close(result.risk, theirs["risk"][1])
    else:
        assert result.risk is None and result.risk_control is None


@pytest.mark.parametrize("case", REFERENCE["srm"], ids=[c["id"] for c in REFERENCE["srm"]])
def test_srm_matches_gbstats(case: dict[str, Any]) -> None:
    ours = srm_p_value(case["observed_counts"], case["weights"])
    assert close(ours, case["p_value"])
    assert math.isfinite(ours)
