"""How well the ai_compose guardrails judge drafts (tests/ai/compose_eval.yaml): per part, how
many drafts get exactly the verdict a reviewer gave (go out, or be refused), how many clean
drafts are refused (false refusals), how many flawed drafts go out (misses), and per check its
precision and recall. The held-out part is reported as figures only (never tuned on).

    python bench/compose_eval.py [--json] [--show-tuning]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from leadflow.ai.guardrails import Facts, Limits, check

SET = Path(__file__).resolve().parent.parent / "tests" / "ai" / "compose_eval.yaml"
CHECKS = ("segments", "length", "sender", "opt_out", "facts", "fair_housing")
SENDERS = ("Acme Realty", "Leadflow", "Sam Lee")


def judge(case: dict[str, Any], facts: Facts) -> list[str]:
    limits = Limits(
        case.get("channel", "sms"),
        case.get("max_chars", 480),
        case.get("max_segments", 2),
        first_text=case.get("channel", "sms") == "sms" and case.get("first_text", True),
        senders=SENDERS,
    )
    return check(case["draft"], limits, facts, case.get("subject")).checks


def run(cases: list[dict[str, Any]], facts: Facts) -> dict[str, Any]:
    exact = verdict_ok = false_refusals = misses = clean = flawed = 0
    per = {c: {"tp": 0, "fp": 0, "fn": 0} for c in CHECKS}
    wrong: list[dict[str, Any]] = []
    started = time.perf_counter()
    for case in cases:
        want, got = set(case["expect"]), set(judge(case, facts))
        exact += want == got
        verdict_ok += bool(want) == bool(got)
        if want:
            flawed += 1
            misses += not got
        else:
            clean += 1
            false_refusals += bool(got)
        for c in CHECKS:
            per[c]["tp"] += c in want and c in got
            per[c]["fp"] += c not in want and c in got
            per[c]["fn"] += c in want and c not in got
        if want != got:
            wrong.append({"id": case["id"], "want": sorted(want), "got": sorted(got)})
    elapsed = time.perf_counter() - started
    checks = {}
    for c, n in per.items():
        p = n["tp"] / (n["tp"] + n["fp"]) if n["tp"] + n["fp"] else None
        r = n["tp"] / (n["tp"] + n["fn"]) if n["tp"] + n["fn"] else None
        checks[c] = {"precision": p and round(p, 3), "recall": r and round(r, 3), **n}
    return {
        "cases": len(cases),
        "verdict_right": verdict_ok,
        "exact": exact,
        "clean": clean,
        "false_refusals": false_refusals,
        "flawed": flawed,
        "misses": misses,
        "checks": checks,
        "us_per_draft": round(elapsed * 1e6 / max(1, len(cases)), 1),
        "wrong": wrong,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show-tuning", action="store_true", help="list the tuning misjudgements")
    args = parser.parse_args(argv)
    data = yaml.safe_load(SET.read_text(encoding="utf-8"))
    facts = Facts.of(data["data"])
    out = {part: run(data[part], facts) for part in ("tuning", "held_out")}
    held = out["held_out"]
    shown_wrong = out["tuning"]["wrong"] if args.show_tuning else []
    held.pop("wrong")
    if not args.show_tuning:
        out["tuning"].pop("wrong")
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for part, r in out.items():
        print(
            f"{part}: {r['verdict_right']}/{r['cases']} verdicts right, {r['exact']} exact; "
            f"false refusals {r['false_refusals']}/{r['clean']} clean, "
            f"misses {r['misses']}/{r['flawed']} flawed; {r['us_per_draft']} us/draft"
        )
        for c, n in r["checks"].items():
            print(f"  {c:13} precision {n['precision']}  recall {n['recall']}")
    for w in shown_wrong:
        print(f"tuning {w['id']}: want {w['want']} got {w['got']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
