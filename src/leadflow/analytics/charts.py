"""PNG charts of the reports (matplotlib, imported only when a chart is drawn, with the
non-interactive Agg backend): the funnel with its time-to-goal histogram, the cohort heatmap
and the forecasts with their 80 % and 95 % bands. Each takes the report's JSON, as the API
returns it, so the web app can draw the same data."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt: Any, fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def funnel_png(out: dict[str, Any], path: Path) -> None:
    """Bars of runs entered and completed per node (and delivered for send nodes), and the
    time-to-goal histogram."""
    plt = _pyplot()
    nodes = out["nodes"]
    fig, (bars, hist) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [2, 1]})
    labels = [f"v{n['version']} {n['node']}" for n in nodes]
    xs = range(len(nodes))
    bars.bar([x - 0.27 for x in xs], [n["entered"] for n in nodes], 0.27, label="entered")
    bars.bar(list(xs), [n["completed"] for n in nodes], 0.27, label="completed")
    bars.bar([x + 0.27 for x in xs], [n.get("delivered", 0) for n in nodes], 0.27,
             label="delivered")  # fmt: skip
    bars.set_xticks(list(xs), labels, rotation=45, ha="right")
    bars.set_ylabel("runs")
    bars.set_title(f"{out['workflow']}: {out['entered']} runs")
    bars.legend()
    bins = out["goal"]["histogram"]
    hist.bar(range(len(bins)), [b["runs"] for b in bins])
    names = [f"<{b['to_hours']:g}h" if b["to_hours"] else "more" for b in bins]
    hist.set_xticks(range(len(bins)), names, rotation=45, ha="right")
    goal = out["goal"]
    hist.set_title(f"time to {', '.join(goal['events']) or 'goal'}: {goal['converted']} runs")
    _save(plt, fig, path)


def cohorts_png(out: dict[str, Any], path: Path) -> None:
    """The grid as a heatmap: one row per cohort, one column per week since entry."""
    plt = _pyplot()
    rows = out["rows"]
    values = [[float("nan") if c is None else c["share"] for c in r["cells"]] for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, out["weeks"] * 0.5), max(3, len(rows) * 0.35)))
    image = ax.imshow(values or [[float("nan")]], aspect="auto", cmap="viridis", vmin=0, vmax=1)
    ax.set_yticks(range(len(rows)), [f"{r['cohort']} ({r['size']})" for r in rows])
    ax.set_xticks(range(out["weeks"]), [f"w{k + 1}" for k in range(out["weeks"])])
    ax.set_title(f"{out['workflow']}: share reaching {', '.join(out['goal'])}")
    fig.colorbar(image, ax=ax)
    _save(plt, fig, path)


def forecast_png(out: dict[str, Any], path: Path) -> None:
    """Each series' history, forecast and bands (or the reason there is none)."""
    plt = _pyplot()
    series = out["series"]
    fig, axes = plt.subplots(len(series), 1, figsize=(10, 3 * len(series)), squeeze=False)
    for ax, (name, s) in zip(axes[:, 0], series.items(), strict=True):
        ax.set_title(name)
        if s["status"] != "ok":
            ax.text(0.5, 0.5, s["message"], ha="center", va="center", transform=ax.transAxes)
            continue
        history, ahead = s["history"], s["forecast"]
        n = len(history)
        xs = list(range(n, n + len(ahead)))
        ax.plot(range(n), history, label="weekly")
        ax.plot(xs, [f["mean"] for f in ahead], label="forecast")
        ax.fill_between(xs, [f["lo95"] for f in ahead], [f["hi95"] for f in ahead], alpha=0.2,
                        label="95 %")  # fmt: skip
        ax.fill_between(xs, [f["lo80"] for f in ahead], [f["hi80"] for f in ahead], alpha=0.3,
                        label="80 %")  # fmt: skip
        ax.legend(loc="upper left")
    _save(plt, fig, path)


__all__ = ["cohorts_png", "forecast_png", "funnel_png"]
