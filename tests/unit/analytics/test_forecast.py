"""Weekly forecasts: too little history says so; on seeded Poisson series with a trend the
forecast follows the trend, the 80 % and 95 % intervals hold about that share of held-out weeks
across seeds, low counts get bands skewed upwards and above zero, and the backtest's numbers are
those of the held-out weeks."""

from __future__ import annotations

import random

from leadflow.analytics.forecast import MIN_WEEKS, forecast_series, weekly_counts


def poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means used here
    limit, k, p = 2.718281828459045 ** (-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def test_short_history_says_so_instead_of_drawing_a_line() -> None:
    out = forecast_series([3] * (MIN_WEEKS - 1))
    assert out["status"] == "insufficient_history" and out["needed"] == MIN_WEEKS
    assert "forecast" not in out


def test_weekly_counts_bin_by_whole_weeks_before_the_end() -> None:
    week = 7 * 86400.0
    end = 100 * week
    assert weekly_counts([end - 1, end - week, end - week - 1, end, end - 3 * week], end, 2) == [
        1,
        2,
    ]


def test_forecasts_follow_the_level_and_intervals_cover_the_held_out_weeks() -> None:
    covered95 = covered80 = total = 0
    for seed in range(12):
        rng = random.Random(seed)
        counts = [poisson(rng, 10 + 0.25 * w) for w in range(40)]
        out = forecast_series(counts, horizon=8, holdout=4)
        assert out["status"] == "ok" and len(out["forecast"]) == 8
        back = out["backtest"]
        assert back["actual"] == counts[-4:]
        first = out["forecast"][0]
        assert first["lo95"] <= first["lo80"] <= first["mean"] <= first["hi80"] <= first["hi95"]
        assert 12 <= first["mean"] <= 30  # the level is near 10 + 0.25 * 40 = 20
        covered95 += round(back["coverage95"] * 4)
        covered80 += round(back["coverage80"] * 4)
        total += 4
    # fitted on square roots with the small-sample allowance for the estimated parameters, the
    # intervals hold about their share: on these 48 weeks 45 (95 %) and 39 (80 %); over 160
    # tuning and 800 held-out weeks see docs/benchmarks.md. ETS's own intervals held 40 and 29
    # here; ones too wide would hold every week
    assert covered95 / total >= 0.88
    assert 0.70 <= covered80 / total <= 0.92


def test_low_counts_get_bands_above_zero_wider_above_the_line() -> None:
    rng = random.Random(5)
    counts = [poisson(rng, 2.0) for _ in range(30)]
    out = forecast_series(counts, horizon=4, holdout=4)
    for row in out["forecast"]:
        assert 0.0 <= row["lo95"] <= row["lo80"] <= row["mean"] <= row["hi80"] <= row["hi95"]
        assert row["hi95"] - row["mean"] > row["mean"] - row["lo95"]  # counts skew upwards
        assert 4 <= row["hi95"] <= 12
