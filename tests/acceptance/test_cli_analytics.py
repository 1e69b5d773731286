"""``leadflow deals import|list`` and ``leadflow analytics funnel|contacts|attribution|agents``
from the command line, on a real SQLite file after a real worker's pass."""

from __future__ import annotations

import datetime as dt

import pytest

from support.cli import Leadflow, assert_fails, write_csv, zone_at_local_hour

WELCOME_KEY = "new-lead-welcome"
DEAL_HEADER = ["DealKey", "ContactKey", "Side", "ClosePrice", "CloseDate", "Commission"]


@pytest.fixture
def worked(ready: Leadflow) -> Leadflow:
    """Two daytime leads enrolled in New Lead Welcome, the welcome text sent to each."""
    zone = zone_at_local_hour(12)
    ready.import_contacts(
        [
            ["c1", "Ann", "Lee", "ann@example.com", "+1 800 555 0101", zone, ""],
            ["c2", "Bob", "Ray", "bob@example.com", "(800) 555-0102", zone, ""],
        ]
    )
    ready.ok("enroll", WELCOME_KEY, "--all")
    ready.worker("--until-idle")
    return ready


def test_the_funnel_as_json_and_as_a_table(worked: Leadflow) -> None:
    nodes = worked.json("analytics", "funnel", WELCOME_KEY)
    first = nodes[0]
    assert (first["node"], first["entered"], first["sent"], first["delivered"]) == (
        "welcome_sms", 2, 2, 2,
    )  # fmt: skip
    assert all("node" in n and "entered" in n for n in nodes)
    table = worked.ok("analytics", "funnel", WELCOME_KEY).stdout
    assert "welcome_sms" in table and "2 runs" in table
    drill = worked.json("analytics", "contacts", WELCOME_KEY, "sent", "--version", "1",
                        "--node", "welcome_sms")  # fmt: skip
    assert drill == {"items": ["c1", "c2"], "next": None}
    assert_fails(worked("analytics", "funnel", "nope"), "no workflow 'nope'")
    grid = worked.json("analytics", "cohorts", WELCOME_KEY, "--weeks", "2")
    assert grid["goal"] == ["email.received", "sms.received"]
    assert [r["size"] for r in grid["rows"]] == [2]
    assert "w2" in worked.ok("analytics", "cohorts", WELCOME_KEY, "--weeks", "2").stdout
    found = worked.json("analytics", "insights", WELCOME_KEY)
    assert (found["tested"], found["findings"]) == (0, [])
    assert "0 findings of 0 tested" in worked.ok("analytics", "insights", WELCOME_KEY).stdout
    ahead = worked.json("analytics", "forecast")["series"]["leads"]
    assert ahead["status"] == "insufficient_history"
    assert "a forecast needs 16" in worked.ok("analytics", "forecast").stdout
    for args in (("funnel", WELCOME_KEY), ("cohorts", WELCOME_KEY), ("forecast",)):
        png = worked.tmp_path / f"{args[0]}.png"
        worked.ok("analytics", *args, "--png", png)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_deals_import_all_or_nothing_then_attribution(worked: Leadflow) -> None:
    today = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    bad = write_csv(
        worked.tmp_path / "bad.csv",
        [
            ["D1", "c1", "buy", "450000", today.isoformat(), "13500"],
            ["D2", "ghost", "lease", "12.345", "yesterday", ""],
        ],
        header=DEAL_HEADER,
    )
    text = assert_fails(worked("deals", "import", bad), "line 3:", "nothing imported")
    for needle in ("Side", "ClosePrice", "CloseDate"):
        assert needle in text
    assert worked.json("deals", "list") == []
    good = write_csv(
        worked.tmp_path / "good.csv",
        [["D1", "c1", "buy", "450,000.50", today.isoformat(), "13500"],
         ["D2", "c2", "seller", "300000", today.isoformat(), ""]],
        header=DEAL_HEADER,
    )  # fmt: skip
    assert worked.json("deals", "import", good)["inserted"] == 2
    assert [d["ClosePrice"] for d in worked.json("deals", "list")] == ["450000.50", "300000.00"]
    out = worked.json("analytics", "attribution")
    assert out["deals"] == 2
    for rows in out["models"].values():
        assert rows == [{"workflow": WELCOME_KEY, "credit": "750000.50", "credit_cents": 75000050}]
    table = worked.ok("analytics", "attribution").stdout
    assert "u_shaped" in table and "750000.50" in table
    agents = worked.json("analytics", "agents")
    assert agents["agents"] == [] and "tasks_on_time" in agents["notes"][0]
