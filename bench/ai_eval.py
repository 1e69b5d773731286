"""Pass rate of the workflow planner on the evaluation set (tests/ai/eval_requests.yaml), and how
well its confidence predicts a pass (a reliability table on the evaluation set and on the
calibration probes, tests/ai/calibration_requests.yaml).

    python bench/ai_eval.py [--json] [--show-tuning] [--loopback]

A case passes when the draft is valid and meets every structural expectation of the case. The
held-out parts are reported as figures only (their failures are not printed: they are never
tuned on). With LEADFLOW_LLM_BASE_URL set, the model path is measured too (pass rate, rounds,
tokens and latency per draft). ``--loopback`` measures the model path's plumbing against a local
server with a fixed policy (bench/llm_loopback.py: the planner's draft, and for one request in
five first an invalid one): its figures are labelled loopback and say nothing of a model.
"""

from __future__ import annotations

import argparse
import itertools
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

SETS = Path(__file__).resolve().parent.parent / "tests" / "ai"
SET = SETS / "eval_requests.yaml"
CALIBRATION = SETS / "calibration_requests.yaml"
BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)


def reliability(rows: list[tuple[float, bool]]) -> dict[str, Any]:
    """Confidence bins against the pass rate, the pass rate at confidence >= 0.8, and the Brier
    score of the confidence read as the chance of a pass."""
    table = []
    for low, high in itertools.pairwise(BINS):
        inside = [ok for conf, ok in rows if low <= conf < high]
        table.append(
            {
                "bin": f"[{low:.1f}, {min(high, 1.0):.1f}{']' if high > 1 else ')'}",
                "drafts": len(inside),
                "passed": sum(inside),
                "pass_rate": round(sum(inside) / len(inside), 4) if inside else None,
            }
        )
    high = [ok for conf, ok in rows if conf >= 0.8]
    return {
        "bins": table,
        "confidence_ge_0_8": len(high),
        "pass_rate_when_confidence_ge_0_8": round(sum(high) / len(high), 4) if high else None,
        "brier": round(sum((c - ok) ** 2 for c, ok in rows) / len(rows), 4) if rows else None,
    }


def run_planner(cases: list[dict[str, Any]]) -> dict[str, Any]:
    passed, failures, rows = 0, [], []
    started = time.perf_counter()
    for case in cases:
        draft = plan_workflow(case["prompt"])
        problems = list(draft.report.errors) or check(draft.definition, case["expect"])
        conf = planner_confidence(draft).value
        rows.append((conf, not problems))
        if problems:
            failures.append(
                {
                    "id": case["id"],
                    "prompt": case["prompt"],
                    "confidence": conf,
                    "problems": problems,
                }
            )
        else:
            passed += 1
    elapsed = time.perf_counter() - started
    table = reliability(rows)
    return {
        "cases": len(cases),
        "passed": passed,
        "pass_rate": round(passed / len(cases), 4) if cases else 0.0,
        "confidence_ge_0_8": table["confidence_ge_0_8"],
        "pass_rate_when_confidence_ge_0_8": table["pass_rate_when_confidence_ge_0_8"],
        "reliability": table,
        "ms_per_draft": round(elapsed * 1000 / max(1, len(cases)), 2),
        "failures": failures,
    }


def run_model(cases: list[dict[str, Any]], config: Any) -> dict[str, Any]:
    from leadflow.ai.client import LlmClient
    from leadflow.ai.confidence import draft_confidence
    from leadflow.ai.generate import generate_workflow

    client = LlmClient(config)
    passed, tokens_in, tokens_out, calls, rounds, latency = 0, 0, 0, 0, 0, 0.0
    sources: dict[str, int] = {}
    rows = []
    for case in cases:
        started = time.perf_counter()
        result = generate_workflow(case["prompt"], client=client, tenant_id="bench")
        latency += time.perf_counter() - started
        tokens_in += result.tokens_in
        tokens_out += result.tokens_out
        calls += result.calls
        rounds += result.rounds
        source = result.source if result.definition is not None else "refused"
        sources[source] = sources.get(source, 0) + 1
        ok = result.definition is not None and not check(result.definition, case["expect"])
        passed += ok
        conf = draft_confidence(
            result.prompt,
            result.intents,
            result.definition,
            validity=result.validity,
            notes=result.notes,
            planner=result.source == "planner",
        ).value
        rows.append((conf, ok))
    n = max(1, len(cases))
    return {
        "cases": len(cases),
        "passed": passed,
        "pass_rate": round(passed / n, 4),
        "sources": sources,
        "rounds_per_draft": round(rounds / n, 3),
        "calls_per_draft": round(calls / n, 3),
        "tokens_in_per_draft": round(tokens_in / n, 1),
        "tokens_out_per_draft": round(tokens_out / n, 1),
        "tokens_per_draft": round((tokens_in + tokens_out) / n, 1),
        "seconds_per_draft": round(latency / n, 4),
        "reliability": reliability(rows),
    }


def _model_parts(sets: dict[str, dict[str, Any]], config: Any) -> dict[str, Any]:
    from leadflow.ai.client import LlmClient
    from leadflow.ai.generate import generate_workflow

    # one request first, not counted: it loads the openai package and opens the connection
    generate_workflow("Text new leads.", client=LlmClient(config), tenant_id="bench")
    return {
        name: {part: run_model(data[part], config) for part in ("tuning", "held_out")}
        for name, data in sets.items()
    }


def _hide_held_out(report: dict[str, Any]) -> None:
    report["failures"] = len(report["failures"])  # a count only: never read


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show-tuning", action="store_true", help="print the tuning failures")
    parser.add_argument(
        "--loopback", action="store_true", help="measure the model path's plumbing on loopback"
    )
    args = parser.parse_args(argv)
    sets = {
        "eval": yaml.safe_load(SET.read_text()),
        "calibration": yaml.safe_load(CALIBRATION.read_text()),
    }
    tuning = run_planner(sets["eval"]["tuning"])
    held = run_planner(sets["eval"]["held_out"])
    probes = {part: run_planner(sets["calibration"][part]) for part in ("tuning", "held_out")}
    _hide_held_out(held)
    _hide_held_out(probes["held_out"])
    out: dict[str, Any] = {
        "planner": {"tuning": tuning, "held_out": held},
        "calibration_probes": probes,
    }
    if os.environ.get("LEADFLOW_LLM_BASE_URL"):
        from leadflow.ai.client import LlmConfig
        from leadflow.settings import Settings

        config = LlmConfig.from_settings(Settings())
        out["model"] = _model_parts(sets, config)
    if args.loopback:
        from leadflow.ai.client import LlmConfig
        from llm_loopback import running_loopback

        with running_loopback() as server:
            config = LlmConfig(base_url=server.base_url, model="loopback", cache_ttl_s=0.0)
            out["loopback"] = _model_parts(sets, config)
            out["loopback"]["server"] = {
                "requests": server.requests - 1,  # less the warm-up request
                "invalid_answers": server.invalid_answers,
                "policy": "the planner's draft; first an invalid draft for 1 request in 5",
            }
    if not args.show_tuning:
        tuning["failures"] = len(tuning["failures"])
        probes["tuning"]["failures"] = len(probes["tuning"]["failures"])
    if args.json:
        json.dump(out, sys.stdout, indent=2)
        print()
        return 0
    for name, parts in (("planner", out["planner"]), ("probes", probes)):
        for part in ("tuning", "held_out"):
            r = parts[part]
            rel = r["reliability"]
            print(
                f"{name:8s} {part:9s} {r['passed']}/{r['cases']} = {r['pass_rate']:.1%}   "
                f"conf>=0.8: {rel['confidence_ge_0_8']} drafts, pass "
                f"{rel['pass_rate_when_confidence_ge_0_8']}   brier {rel['brier']}"
            )
            for b in rel["bins"]:
                if b["drafts"]:
                    print(f"    {b['bin']:11s} {b['passed']}/{b['drafts']}")
    for label in ("model", "loopback"):
        for name, parts in (out.get(label) or {}).items():
            for part, r in parts.items():
                if part in ("tuning", "held_out"):
                    print(
                        f"{label} {name} {part}: {r['passed']}/{r['cases']}, "
                        f"rounds {r['rounds_per_draft']}, tokens {r['tokens_per_draft']}, "
                        f"{r['seconds_per_draft'] * 1000:.1f} ms per draft, {r['sources']}"
                    )
    if args.show_tuning:
        for f in tuning["failures"] + probes["tuning"]["failures"]:
            print(f"  {f['id']} ({f['confidence']}): {f['prompt']}\n      {f['problems']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
