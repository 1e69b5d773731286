"""Insights: Benjamini-Hochberg as statsmodels computes it; a planted effect (one split arm with
twice the replies) is reported with its numbers; on A/A data (no effect anywhere) the report
keeps its false-discovery rate over many seeds; nothing is said below the minimum sample."""

from __future__ import annotations

import random

from leadflow.analytics.funnel import FunnelData
from leadflow.analytics.insights import bh, insights


def test_bh_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    assert bh([0.01, 0.04, 0.03, 0.005]) == [0.02, 0.04, 0.04, 0.02]
    rng = random.Random(3)
    for _ in range(20):
        ps = [rng.random() ** 3 for _ in range(rng.randint(1, 40))]
        expected = multipletests(ps, method="fdr_bh")[1]
        assert all(abs(a - b) < 1e-12 for a, b in zip(bh(ps), expected, strict=True))


def synthetic(seed: int, n: int, rate_a: float, rate_b: float) -> FunnelData:
    """A split s (arms a, b) before one text each (hello_a, hello_b), with sources web and
    zillow; each run replies with its arm's rate."""
    rng = random.Random(seed)
    data = FunnelData("wf")
    data.nodes = [(1, "s", "split"), (1, "hello_a", "send_sms"), (1, "hello_b", "send_sms")]
    run = 0
    for arm, rate in (("a", rate_a), ("b", rate_b)):
        for _ in range(n):
            run += 1
            data.contact_of[run] = f"c{run}"
            data.source_of[run] = rng.choice(["web", "zillow"])
            data.sets[(0, "", "entered")].add(run)
            data.sets[(1, "s", "entered")].add(run)
            data.sets[(1, "s", f"outcome:arm:{arm}")].add(run)
            for metric in ("entered", "msg:sent", "msg:delivered"):
                data.sets[(1, f"hello_{arm}", metric)].add(run)
            if rng.random() < rate:
                data.sets[(1, f"hello_{arm}", "msg:replied")].add(run)
    return data


def test_a_planted_arm_with_twice_the_replies_is_reported() -> None:
    report = insights(synthetic(1, 400, 0.10, 0.20))
    rules = {f.rule: f for f in report.findings}
    arm = rules["split_arms"]
    assert arm.subject == "s: b vs a" and "converts" in arm.text and "applying b" in arm.text
    assert arm.numbers["runs"] == [400, 400] and arm.q_value <= 0.05
    assert "hello_b" in rules["messages"].text and "x the replies" in rules["messages"].text
    assert "sources" not in rules  # the source has no effect here
    assert report.tested >= 4


def test_on_aa_data_the_false_discovery_rate_holds_over_many_seeds() -> None:
    seeds = 200
    with_a_claim = sum(bool(insights(synthetic(s, 200, 0.15, 0.15)).findings) for s in range(seeds))
    # under no effect every claim is false: BH at 5 % bounds the chance of any claim by 5 %
    assert with_a_claim / seeds <= 0.08, with_a_claim


def test_nothing_is_said_below_the_minimum_sample() -> None:
    report = insights(synthetic(1, 20, 0.0, 0.9))
    assert report.tested == 0 and report.findings == []
    assert insights(synthetic(1, 20, 0.0, 0.9), min_n=10).findings
