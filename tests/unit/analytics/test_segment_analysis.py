"""Who converts: Wilson intervals as statsmodels computes them; a planted source effect is found
and ranked first with its sample and interval; groups below the minimum sample get no test;
speed to lead and first channel come from the first message of each run."""

from __future__ import annotations

import random

from leadflow.analytics.funnel import FunnelData
from leadflow.analytics.segments import segments, wilson
from leadflow.model.records import Contact


def test_wilson_matches_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint

    for x, n in ((0, 10), (3, 10), (50, 400), (400, 400)):
        lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
        got = wilson(x, n)
        assert abs(got[0] - lo) < 1e-6 and abs(got[1] - hi) < 1e-6


def data_with(seed: int, rates: dict[str, float], n: int) -> FunnelData:
    rng = random.Random(seed)
    data = FunnelData("wf")
    run = 0
    for source, rate in rates.items():
        for _ in range(n):
            run += 1
            cid = f"c{run}"
            data.contact_of[run] = cid
            data.source_of[run] = source
            data.contacts[cid] = Contact(cid, state="TX" if run % 2 else "FL")
            data.entered_at[run] = 1000.0
            data.first_touch[run] = (1000.0 + (60 if run % 3 else 7200), "sms")
            if rng.random() < rate:
                data.sets[(1, "hello", "msg:replied")].add(run)
    return data


def test_a_planted_source_effect_is_found_and_ranked_first() -> None:
    out = segments(data_with(2, {"web": 0.25, "zillow": 0.10}, 400))
    top = out["segments"][0]
    assert (top["attribute"], top["value"], top["runs"], top["significant"]) == (
        "source", "web", 400, True,
    )  # fmt: skip
    assert top["interval95"][0] < top["rate"] < top["interval95"][1]
    zillow = next(r for r in out["segments"] if r["value"] == "zillow")
    assert zillow["significant"] and zillow["rate"] < zillow["rest_rate"]
    speeds = {r["value"]: r["runs"] for r in out["segments"] if r["attribute"] == "speed_to_lead"}
    assert speeds == {"1-24 h": 266, "under 5 min": 534}  # every third run waited 2 hours
    assert {r["value"] for r in out["segments"] if r["attribute"] == "first_channel"} == {"sms"}
    areas = [r for r in out["segments"] if r["attribute"] == "area"]
    assert sum(r["runs"] for r in areas) == 800 and not any(r["significant"] for r in areas)


def test_small_groups_are_listed_without_a_test() -> None:
    out = segments(data_with(2, {"web": 0.9, "zillow": 0.0}, 10))
    assert out["tested"] == 0 and all(r["q_value"] is None for r in out["segments"])
