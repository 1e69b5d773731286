"""Insights: findings over one workflow's funnel that name what was seen and what to do, each
with its numbers and a test of significance, the p-values of one report corrected together by
Benjamini-Hochberg (a finding is said only when its q-value is at most ``alpha``), and nothing
said about groups smaller than ``min_n``. Never a claim without its evidence.

The rules (each comparison is one hypothesis of the report):

* **messages**: two send nodes' reply rates (replied / delivered), two-proportion z-test:
  "the sms at node A gets 2.1x the replies of the email at node B: try an sms first";
* **split arms**: each arm's conversion (the goal, else any reply in the run) against the first
  arm's: "arm b of split S converts 2.0x arm a: consider applying b";
* **lead sources**: a source's conversion against all other sources': "leads from source S
  convert 40 % less than the rest";
* **drop-off**: a node that loses (exits or fails) a larger share of the runs that enter it than
  the workflow's median node, exact binomial test: "step Z loses 30 % of runs; the median is 8 %".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.analytics.funnel import FunnelData

ALPHA = 0.05
MIN_N = 30


@dataclass(slots=True)
class Finding:
    rule: str
    subject: str
    text: str
    numbers: dict[str, Any]
    p_value: float
    q_value: float = 1.0


@dataclass(slots=True)
class Report:
    findings: list[Finding] = field(default_factory=list)
    tested: int = 0
    alpha: float = ALPHA
    min_n: int = MIN_N

    def as_json(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "min_n": self.min_n,
            "tested": self.tested,
            "findings": [
                {
                    "rule": f.rule,
                    "subject": f.subject,
                    "finding": f.text,
                    "numbers": f.numbers,
                    "p_value": round(f.p_value, 6),
                    "q_value": round(f.q_value, 6),
                }
                for f in self.findings
            ],
        }


def bh(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        q[i] = min(1.0, running)
    return q


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test."""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def binomial_greater(k: int, n: int, p0: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p0): is the share larger than ``p0``?"""
    from scipy.stats import binomtest

    return float(binomtest(k, n, p0, alternative="greater").pvalue)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b > 0 else "infinitely more than"


def _messages(data: FunnelData, kinds: dict[tuple[int, str], str], min_n: int) -> list[Finding]:
    nodes = []
    for (v, node), kind in kinds.items():
        sent = data.sets.get((v, node, "msg:delivered"), set())
        if kind.startswith("send_") and len(sent) >= min_n:
            replied = len(data.sets.get((v, node, "msg:replied"), set()) & sent)
            nodes.append((v, node, kind.removeprefix("send_"), replied, len(sent)))
    out = []
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            hi, lo = (a, b) if a[3] / a[4] >= b[3] / b[4] else (b, a)
            p = two_proportions(hi[3], hi[4], lo[3], lo[4])
            action = f"try an {hi[2]} first" if hi[2] != lo[2] else f"favour node {hi[1]}'s message"
            out.append(
                Finding(
                    "messages",
                    f"{hi[1]} vs {lo[1]}",
                    f"the {hi[2]} at node {hi[1]} (v{hi[0]}) gets "
                    f"{_ratio(hi[3] / hi[4], lo[3] / lo[4])} the replies of the {lo[2]} at node "
                    f"{lo[1]} (v{lo[0]}): {action}",
                    {"replied": [hi[3], lo[3]], "delivered": [hi[4], lo[4]]},
                    p,
                )
            )
    return out


def converted(data: FunnelData) -> set[int]:
    """The runs that reached the goal (else replied), the outcome insights compare."""
    if data.goal_types:
        return set(data.sets.get((0, "", "goal"), set()))
    return {r for k, ids in data.sets.items() if k[2] == "msg:replied" for r in ids}


def _arms(data: FunnelData, kinds: dict[tuple[int, str], str], min_n: int) -> list[Finding]:
    won = converted(data)
    out = []
    for (v, node), kind in kinds.items():
        if kind != "split":
            continue
        arms = [
            (k[2].removeprefix("outcome:arm:"), ids)
            for k, ids in sorted(data.sets.items())
            if k[:2] == (v, node) and k[2].startswith("outcome:arm:")
        ]
        if len(arms) < 2 or len(arms[0][1]) < min_n:
            continue
        base_name, base = arms[0]
        bx = len(base & won)
        for name, ids in arms[1:]:
            if len(ids) < min_n:
                continue
            x = len(ids & won)
            p = two_proportions(x, len(ids), bx, len(base))
            rate, base_rate = x / len(ids), bx / len(base)
            verb = f"consider applying {name}" if rate > base_rate else f"keep {base_name}"
            out.append(
                Finding(
                    "split_arms",
                    f"{node}: {name} vs {base_name}",
                    f"arm {name} of split {node} (v{v}) converts "
                    f"{_ratio(rate, base_rate)} arm {base_name}: {verb}",
                    {"converted": [x, bx], "runs": [len(ids), len(base)]},
                    p,
                )
            )
    return out


def _sources(data: FunnelData, min_n: int) -> list[Finding]:
    won = converted(data)
    by: dict[str, set[int]] = {}
    for run, source in data.source_of.items():
        if source is not None:
            by.setdefault(source, set()).add(run)
    everyone = set(data.source_of)
    out = []
    for source, ids in sorted(by.items()):
        rest = everyone - ids
        if len(ids) < min_n or len(rest) < min_n:
            continue
        x, y = len(ids & won), len(rest & won)
        rate, other = x / len(ids), y / len(rest)
        p = two_proportions(x, len(ids), y, len(rest))
        change = (rate - other) / other if other else 0.0
        word = "more" if change >= 0 else "less"
        out.append(
            Finding(
                "sources",
                source,
                f"leads from source {source} convert {abs(change):.0%} {word} than the rest "
                f"({rate:.1%} vs {other:.1%})",
                {"converted": [x, y], "runs": [len(ids), len(rest)]},
                p,
            )
        )
    return out


def _drop_off(data: FunnelData, kinds: dict[tuple[int, str], str], min_n: int) -> list[Finding]:
    shares = []
    for (v, node), kind in kinds.items():
        entered = len(data.sets.get((v, node, "entered"), set()))
        if entered < min_n or kind in ("exit", "goal"):
            continue
        lost = {
            r
            for k, ids in data.sets.items()
            if k[:2] == (v, node) and (k[2] == "failed" or k[2].startswith("exited:"))
            for r in ids
        }
        goal_exits = {
            r for g in data.goal_types for r in data.sets.get((v, node, f"exited:{g}"), set())
        }
        shares.append((v, node, len(lost - goal_exits), entered))
    if len(shares) < 3:
        return []
    median = statistics.median(k / n for _, _, k, n in shares)
    out = []
    for v, node, k, n in shares:
        if k / n <= median:
            continue
        p = binomial_greater(k, n, max(median, 1e-9))
        out.append(
            Finding(
                "drop_off",
                node,
                f"step {node} (v{v}) loses {k / n:.0%} of its runs; the workflow's median step "
                f"loses {median:.0%}: look at what it asks",
                {"lost": k, "entered": n, "median_share": round(median, 4)},
                p,
            )
        )
    return out


def insights(data: FunnelData, *, alpha: float = ALPHA, min_n: int = MIN_N) -> Report:
    """Every rule's hypotheses, BH-corrected together; the findings with q <= alpha."""
    kinds = {(v, node): kind for v, node, kind in data.nodes}
    tested = (
        _messages(data, kinds, min_n)
        + _arms(data, kinds, min_n)
        + _sources(data, min_n)
        + _drop_off(data, kinds, min_n)
    )
    for f, q in zip(tested, bh([f.p_value for f in tested]), strict=True):
        f.q_value = q
    found = sorted((f for f in tested if f.q_value <= alpha), key=lambda f: f.q_value)
    return Report(found, len(tested), alpha, min_n)


__all__ = [
    "ALPHA",
    "MIN_N",
    "Finding",
    "Report",
    "bh",
    "converted",
    "insights",
    "two_proportions",
]
