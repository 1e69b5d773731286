"""``leadflow simulate FILE_OR_TEMPLATE [--compare OTHER]``: a template simulated by name, and two
variants side by side with the difference of their goal rates and its interval."""

from __future__ import annotations

import json

from leadflow.playbooks.catalog import get_template, instantiate
from support.cli import Leadflow, assert_fails


def test_a_template_by_name_and_a_comparison(lf: Leadflow) -> None:
    one = lf.json("simulate", "new-lead-welcome", "--leads", "150", "--days", "4", db=False)
    nodes = [n["node"] for n in one["nodes"]]
    assert nodes[:2] == ["welcome_sms", "wait_email"]
    replied = one["goals"]["replied"]
    assert 0 < replied["reached"] <= 150 and 0 < replied["rate"] < 1

    # B: the same play without its second text and e-mail (exits after the first text)
    variant = instantiate(get_template("new-lead-welcome"), {})
    variant["nodes"] = [dict(variant["nodes"][0], next=None)]
    path = lf.tmp_path / "short.json"
    path.write_text(json.dumps(variant), encoding="utf-8")
    both = lf.json(
        "simulate",
        "new-lead-welcome",
        "--compare",
        str(path),
        "--leads",
        "300",
        "--days",
        "4",
        db=False,
    )
    [goal] = [g for g in both["goals"] if g["goal"] == "replied"]
    assert goal["a"]["runs"] == goal["b"]["runs"] == 300
    assert goal["b"]["rate"] < goal["a"]["rate"]  # fewer touches, fewer replies
    low, high = goal["interval_95"]
    assert low <= goal["difference"] <= high < 0
    table = lf.ok(
        "simulate",
        "new-lead-welcome",
        "--compare",
        str(path),
        "--leads",
        "100",
        "--days",
        "2",
        db=False,
    ).stdout
    assert "goal rates, B - A" in table and "replied" in table

    assert_fails(lf("simulate", "no-such-play", db=False), "neither a file nor a template")
    assert_fails(
        lf("simulate", "lead-routing", "--set", "rule=random", db=False),
        "rule: 'random' is not one of",
    )
