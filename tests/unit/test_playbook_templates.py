"""Playbook templates: every play fills in with its defaults and validates; parameters are
converted by type and checked against their range, each problem named; date arithmetic of the
date-field waits keeps local time across DST."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from leadflow.definitions.validation import validate
from leadflow.engine.localtime import date_target, first_weekday_of_month, parse_day
from leadflow.errors import InvalidInput, NotFound
from leadflow.playbooks.catalog import get_template, instantiate, parse_sets, templates
from leadflow.playbooks.params import Parameter, fill, resolve

PLAYS = {
    "new-lead-welcome", "long-term-nurture", "hot-lead-acceleration",
    "first-time-buyer-education", "luxury-buyer-experience", "listing-preparation",
    "post-closing-care", "monthly-market-update", "lead-routing",
}  # fmt: skip
NY = ZoneInfo("America/New_York")


def test_every_play_is_shipped_and_valid_with_its_defaults() -> None:
    assert {t.name for t in templates()} == PLAYS
    for t in templates():
        data = instantiate(t, {})
        report = validate(data)
        assert report.ok, (t.name, report.errors)
        assert data["key"] == t.definition["key"]
        listed = t.as_dict()
        assert listed["title"] and listed["parameters"] and listed["days"]
        for p in t.info.parameters:
            assert not p.required, f"{t.name}.{p.name} has no default"
            assert p.convert(p.default) == p.default


def test_parameters_are_converted_and_range_checked_naming_each_problem() -> None:
    t = get_template("post-closing-care")
    data = instantiate(t, {"checkin_days": "45", "send_time": "09:30", "agent_name": "Dana"})
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["wait_checkin"]["offset"] == 45 and nodes["wait_checkin"]["time"] == "09:30"
    assert (
        "Dana" in nodes["checkin"]["body"] and "{{ contact.first_name" in nodes["checkin"]["body"]
    )
    with pytest.raises(InvalidInput) as bad:
        instantiate(t, {"checkin_days": "x", "send_time": "9am", "nope": "1"})
    text = bad.value.message
    assert "checkin_days: 'x' is not a whole number" in text
    assert "send_time: '9am' is not a time HH:MM" in text
    assert "nope: no such parameter" in text
    with pytest.raises(InvalidInput, match=r"threshold: 5\.0 is below the minimum 100000"):
        instantiate(get_template("luxury-buyer-experience"), {"threshold": "5"})
    with pytest.raises(InvalidInput, match="rule: 'random' is not one of round_robin, area"):
        instantiate(get_template("lead-routing"), {"rule": "random"})
    with pytest.raises(InvalidInput, match="email_after: "):
        instantiate(get_template("new-lead-welcome"), {"email_after": "soon"})
    with pytest.raises(NotFound, match="no template 'nope'"):
        get_template("nope")


def test_a_required_parameter_and_typed_placeholders() -> None:
    declared = [
        Parameter(name="who", type="string", description="Who."),
        Parameter(name="n", type="integer", default=3, description="How many.", min=1, max=5),
        Parameter(name="on", type="boolean", default=False, description="On?"),
    ]
    values, errors = resolve(declared, {"on": "yes"})
    assert errors == ["who: required (Who.)"]
    assert values == {"n": 3, "on": True}
    filled = fill(
        {"a": "[[ n ]]", "b": "x [[n]] [[on]]", "c": ["{{ keep }}"]}, {"n": 3, "on": True}
    )
    assert filled == {"a": 3, "b": "x 3 true", "c": ["{{ keep }}"]}
    assert parse_sets(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(InvalidInput, match="--set 'oops': expected NAME=VALUE"):
        parse_sets(["oops"])


def test_date_targets_keep_local_time_across_dst_and_leap_days() -> None:
    now = datetime(2025, 1, 10, 12, tzinfo=NY).timestamp()
    # closed 2024-03-20 (EDT); next anniversary 2025-03-20 10:00 EDT = 14:00 UTC
    ts = date_target(now, NY, 600, date(2024, 3, 20), 0, yearly=True)
    assert datetime.fromtimestamp(ts or 0, NY).strftime("%Y-%m-%d %H:%M %Z") == (
        "2025-03-20 10:00 EDT"
    )
    assert date_target(now, NY, 600, date(2024, 3, 20), 30, yearly=False) is None
    leap = date_target(now, NY, 600, date(2024, 2, 29), 0, yearly=True)
    assert datetime.fromtimestamp(leap or 0, NY).date() == date(2025, 2, 28)
    first = first_weekday_of_month(datetime(2025, 11, 3, 11, tzinfo=NY).timestamp(), NY, 600)
    assert datetime.fromtimestamp(first, NY).strftime("%a %Y-%m-%d %H:%M") == "Mon 2025-12-01 10:00"
    assert parse_day("2024-06-01T09:00:00Z") == date(2024, 6, 1)
    assert parse_day("June 1") is None and parse_day(None) is None
