"""`leadflow scoring evaluate` on generated CSVs and `leadflow scoring retrain` on a tenant's
history in a real SQLite database, as a user runs them."""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

from leadflow.scoring.features import DAY
from leadflow.scoring.synthetic import seed_history
from leadflow.store.factory import open_store
from support.cli import Leadflow, assert_fails

MEASURES = {
    "rows",
    "positives",
    "auc",
    "brier",
    "base_rate_brier",
    "log_loss",
    "calibration_error",
    "top10_capture",
    "top20_capture",
}


def write_csv(path: Path, rows: int, seed: int, signal: bool) -> Path:
    """Columns visits, saves, budget, source (text) and converted (yes/no); with ``signal`` the
    chance of converting rises with visits and saves."""
    rng = random.Random(seed)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["visits", "saves", "budget", "source", "converted"])
        for _ in range(rows):
            visits, saves = rng.randint(0, 20), rng.randint(0, 5)
            chance = 0.02 + 0.03 * visits + 0.08 * saves if signal else 0.2
            out.writerow(
                [
                    visits,
                    saves,
                    rng.choice([300_000, 500_000]),
                    rng.choice(["zillow", "site", "referral"]),
                    "yes" if rng.random() < min(chance, 0.95) else "no",
                ]
            )
    return path


def test_evaluate_finds_a_known_signal(lf: Leadflow, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", 3000, seed=1, signal=True)
    out = lf.json(
        "scoring",
        "evaluate",
        "--csv",
        path,
        "--target",
        "converted",
        "--holdout-first",
        "1000",
        db=False,
    )
    assert out["rows"] == {"training": 2000, "holdout": 1000}
    assert out["features"] == 6  # visits, saves, budget and source one-hot in three
    assert out["chosen"] in ("logistic", "boosting")
    assert set(out["validation_auc"]) == {"logistic", "boosting"}
    for metrics in out["models"].values():
        assert set(metrics) == MEASURES
        assert metrics["rows"] == 1000
        assert metrics["auc"] > 0.7  # well above chance (0.5); the noise below stays near it
        assert metrics["brier"] < metrics["base_rate_brier"]
        assert 0 <= metrics["calibration_error"] < 0.1
        assert metrics["top20_capture"] > metrics["top10_capture"] > 0.1


def test_evaluate_on_noise_reports_chance(lf: Leadflow, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "noise.csv", 3000, seed=2, signal=False)
    out = lf.json("scoring", "evaluate", "--csv", path, "--target", "converted", db=False)
    assert out["rows"] == {"training": 2400, "holdout": 600}  # the last 20% by default
    for metrics in out["models"].values():
        assert 0.4 < metrics["auc"] < 0.6


def test_evaluate_prints_a_readable_table(lf: Leadflow, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", 1500, seed=3, signal=True)
    text = lf.ok(
        "scoring",
        "evaluate",
        "--csv",
        path,
        "--target",
        "converted",
        "--holdout-frac",
        "0.3",
        db=False,
    ).stdout
    assert "trained on 1050 rows, held out 450" in text
    assert "-> chosen:" in text
    for label in ("AUC", "Brier (base rate)", "Log-loss", "Calibration error (10 bins)"):
        assert label in text
    assert "Positives in top 10%" in text and "Positives in top 20%" in text


def test_evaluate_refuses_bad_input_naming_the_option(lf: Leadflow, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "leads.csv", 200, seed=4, signal=True)
    base = ("scoring", "evaluate", "--csv", path)
    assert_fails(lf(*base, "--target", "bought", db=False), "--target: no column 'bought'")
    assert_fails(lf(*base, "--target", "visits", db=False), "--target: column 'visits'")
    assert_fails(
        lf(*base, "--target", "converted", "--holdout-first", "200", db=False),
        "--holdout-first: 200 must be at least 1 and less than the 200 rows",
    )
    rare = tmp_path / "rare.csv"
    rare.write_text("x,y\n" + "".join(f"{i},{int(i == 7)}\n" for i in range(100)))
    assert_fails(
        lf("scoring", "evaluate", "--csv", rare, "--target", "y", db=False),
        "--target: column 'y' has 1 positive and 79 negative values among the 80 training rows",
    )


def test_retrain_stores_versions_and_refuses_without_positives(lf: Leadflow) -> None:
    lf.init()
    lf.ok("tenants", "create", "acme", "--name", "Acme Realty")
    now = time.time()  # the CLI reads the real clock; the history ends just before it
    store = open_store(lf.db)
    try:
        seed_history(store, "acme", now - 500 * DAY, now - 60.0, leads=300, seed=5)
    finally:
        store.close()
    first = lf.json("scoring", "retrain", "--tenant", "acme")
    assert (first["version"], first["goal"], first["horizon_days"]) == (
        1,
        "appointment.booked",
        90,
    )
    assert first["algorithm"] in ("logistic", "boosting")
    assert first["metrics"]["validation"]["auc"] > 0.65
    assert "views_7d" in first["features"]
    text = lf.ok("scoring", "retrain", "--tenant", "acme", "--horizon-days", "60").stdout
    assert "model version 2" in text
    assert_fails(
        lf("scoring", "retrain", "--tenant", "acme", "--goal", "closing.recorded"),
        "too few positives",
        "'closing.recorded'",
    )
    assert_fails(lf("scoring", "retrain", "--tenant", "nobody"), "--tenant: no tenant 'nobody'")

    scored = lf.json("scoring", "predict", "--tenant", "acme", "--contact", "acme-lead-00001")
    assert scored["version"] == 2 and scored["horizon_days"] == 60
    assert 0.0 <= scored["probability"] <= 1.0
    assert len(scored["factors"]) <= 5
    assert {"feature", "value", "contribution"} <= set(scored["factors"][0])
    shown = lf.ok("scoring", "predict", "--tenant", "acme", "--contact", "acme-lead-00001").stdout
    assert "chance of appointment.booked within 60 days (model version 2" in shown
    assert "Top factors" in shown
    assert_fails(
        lf("scoring", "predict", "--tenant", "acme", "--contact", "ghost"),
        "contact 'ghost' not found in tenant 'acme'",
    )
