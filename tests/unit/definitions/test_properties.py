from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.definitions import Report, dump_yaml, load_text, validate
from leadflow.definitions.io import dump_json

from .strategies import JSON_LIKE, WORKFLOW_SHAPED, valid_workflow

pytestmark = pytest.mark.hypothesis_heavy

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _no_internal_error(report: Report) -> None:
    assert isinstance(report, Report)
    assert all(isinstance(e, str) for e in report.errors + report.warnings)
    assert not any(e.startswith("(root): could not validate") for e in report.errors), report.errors
    assert report.ok is (not report.errors)
    assert (report.definition is not None) is report.ok


@PROPERTY
@given(JSON_LIKE)
def test_validate_never_raises_on_json_like_values(data: Any) -> None:
    _no_internal_error(validate(data))


@PROPERTY
@given(WORKFLOW_SHAPED)
def test_validate_never_raises_on_workflow_shaped_junk(data: Any) -> None:
    _no_internal_error(validate(data))


@PROPERTY
@given(valid_workflow(), st.data())
def test_validate_never_raises_on_damaged_workflows(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    nodes = data["nodes"]
    i = draw.draw(st.integers(0, len(nodes) - 1))
    key = draw.draw(st.sampled_from(sorted(nodes[i])))
    nodes[i][key] = draw.draw(JSON_LIKE)
    _no_internal_error(validate(data))


@PROPERTY
@given(valid_workflow())
def test_valid_definitions_round_trip(data: dict[str, Any]) -> None:
    report = validate(data)
    assert report.errors == [], report.errors
    defn = report.definition
    assert defn is not None

    text = dump_yaml(defn)
    again = validate(load_text(text))
    assert again.errors == [], (again.errors, text)
    assert again.definition == defn
    assert dump_yaml(again.definition) == text

    via_json = validate(load_text(dump_json(defn)))
    assert via_json.definition == defn
    assert validate(json.loads(dump_json(defn))).definition == defn
