"""``leadflow workflows validate|publish`` refuse a YAML alias bomb quickly, within the
LEADFLOW_MAX_YAML_* settings."""

from __future__ import annotations

import time
from pathlib import Path

from support.cli import Leadflow, assert_fails


def alias_bomb() -> str:
    lines = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_validate_and_publish_refuse_the_alias_bomb(lf: Leadflow, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    assert bomb.stat().st_size <= 501
    started = time.process_time()
    result = lf("workflows", "validate", bomb, db=False)
    assert_fails(result, "aliases expand to more than 100000 values (LEADFLOW_MAX_YAML_NODES)")
    lf.init()
    result = lf("workflows", "publish", bomb)
    assert_fails(result, "LEADFLOW_MAX_YAML_NODES")
    assert time.process_time() - started < 5  # init included; the bomb alone took 17 s


def test_the_yaml_settings_are_honoured(lf: Leadflow, tmp_path: Path) -> None:
    small = tmp_path / "small.yaml"
    small.write_text(
        "key: w\nname: W\nstart: a\nnodes:\n"
        "  - &n {id: a, kind: send_sms, body: Hi, next: b}\n"
        "  - {<<: *n, id: b, next: null}\n"
    )
    lf.ok("workflows", "validate", small, db=False)
    result = lf("workflows", "validate", small, db=False, env={"LEADFLOW_MAX_YAML_ALIASES": "0"})
    assert_fails(result, "more than 0 aliases (LEADFLOW_MAX_YAML_ALIASES)")
    result = lf(
        "workflows", "validate", small, db=False, env={"LEADFLOW_MAX_DEFINITION_BYTES": "1024"}
    )
    assert result.exit_code == 0
    big = tmp_path / "big.yaml"
    big.write_text("key: " + "x" * 2000 + "\n")
    result = lf(
        "workflows", "validate", big, db=False, env={"LEADFLOW_MAX_DEFINITION_BYTES": "1024"}
    )
    assert_fails(result, "bytes, more than 1024 (LEADFLOW_MAX_DEFINITION_BYTES)")


def test_simulate_reports_why_steps_failed(lf: Leadflow, tmp_path: Path) -> None:
    flow = tmp_path / "doubling.yaml"
    flow.write_text(
        "key: doubling\nname: Doubling\nstart: s\nnodes:\n"
        "  - id: s\n    kind: send_sms\n"
        "    body: \"{% set n = namespace(s='xx') %}{% for i in range(40) %}"
        '{% set n.s = n.s ~ n.s %}{% endfor %}{{ n.s }}"\n'
    )
    report = lf.json("simulate", flow, "--leads", "3", "--days", "1", db=False)
    assert report["runs"] == {"failed": 3}
    ((reason, count),) = report["failures"].items()
    assert count == 3
    assert reason.startswith("s: template error at line 1: SMS body: a ~ concatenation")
    assert reason.endswith("(LEADFLOW_MAX_SMS_CHARS, at least 100000)")
    text = lf.ok("simulate", flow, "--leads", "3", "--days", "1", db=False).stdout
    assert "failed 3 x s: template error" in text
