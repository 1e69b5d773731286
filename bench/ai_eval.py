"""Pass rate of the workflow planner on the evaluation set (tests/ai/eval_requests.yaml).

    python bench/ai_eval.py [--json] [--show-tuning]

A case passes when the draft is valid and meets every structural expectation of the case. The
held-out part is reported as a figure only (its failures are not printed: it is never tuned on).
With LEADFLOW_LLM_BASE_URL set, the model path is measured too (pass rate, tokens and latency
per draft).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from leadflow.ai.confidence import planner_confidence
from leadflow.ai.evaluation import check
from leadflow.ai.planner import plan_workflow

SET = Path(__file__).resolve().parent.parent / "tests" / "ai" / "eval_requests.yaml"


def run_planner(cases: list[dict[str, Any]]) -> dict[str, Any]:
    passed, failures, high, high_pass = 0, [], 0, 0
    started = time.perf_counter()
    for case in cases:
        draft = plan_workflow(case["prompt"])
        problems = list(draft.report.errors) or check(draft.definition, case["expect"])
        conf = planner_confidence(draft).value
        if conf >= 0.8:
            high += 1
            high_pass += not problems
        if problems:
            failures.append({"id": case["id"], "prompt": case["prompt"], "problems": problems})
        else:
            passed += 1
    return {
        "cases": len(cases),
        "passed": passed,
        "pass_rate": round(passed / len(cases), 4) if cases else 0.0,
        "confidence_ge_0_8": high,
        "pass_rate_when_confidence_ge_0_8": round(high_pass / high, 4) if high else None,
        "ms_per_draft": round((time.perf_counter() - started) * 1000 / max(1, len(cases)), 2),
        "failures": failures,
    }


def run_model(cases: list[dict[str, Any]]) -> dict[str, Any]:
    from leadflow.ai.client import LlmClient, LlmSettings
    from leadflow.ai.generate import generate_workflow

    client = LlmClient(LlmSettings.from_env())
    passed, tokens, latency = 0, 0, 0.0
    for case in cases:
        started = time.perf_counter()
        result = generate_workflow(case["prompt"], client=client, tenant_id="bench")
        latency += time.perf_counter() - started
        tokens += result.tokens_in + result.tokens_out
        if result.definition is not None and not check(result.definition, case["expect"]):
            passed += 1
    n = max(1, len(cases))
    return {
        "cases": len(cases),
        "pass_rate": round(passed / n, 4),
        "tokens_per_draft": round(tokens / n, 1),
        "seconds_per_draft": round(latency / n, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show-tuning", action="store_true", help="print the tuning failures")
    args = parser.parse_args(argv)
    data = yaml.safe_load(SET.read_text())
    tuning = run_planner(data["tuning"])
    held = run_planner(data["held_out"])
    held["failures"] = len(held["failures"])  # a count only: the held-out part is never read
    out: dict[str, Any] = {"planner": {"tuning": tuning, "held_out": held}}
    if os.environ.get("LEADFLOW_LLM_BASE_URL"):
        out["model"] = {
            "tuning": run_model(data["tuning"]),
            "held_out": run_model(data["held_out"]),
        }
    if not args.show_tuning:
        tuning["failures"] = len(tuning["failures"])
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
    else:
        for part in ("tuning", "held_out"):
            r = out["planner"][part]
            print(f"planner {part:9s} {r['passed']}/{r['cases']} = {r['pass_rate']:.1%}")
        if args.show_tuning:
            for f in tuning["failures"]:
                print(f"  {f['id']}: {f['prompt']}\n      {f['problems']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
