"""Reply intent: precision, recall and F1 per class, and macro F1, on both held-out sets.

    python bench/intent_eval.py [--json] [--llm]

* ``split``: the fifth of ``replies.csv`` held out of training (deterministic, per class), read
  by the local model learnt from the other four fifths;
* ``hand``: ``holdout.csv``, 150 replies written by hand before the model, never learnt from;

each measured twice: the local model alone, and the way inbound replies are read (the opt-out
rules first, then the model). Also: the time to learn the model, to load the shipped one (its
arrays, ``data/intent_model.npz``) and to read one reply.
With ``--llm`` and ``LEADFLOW_LLM_BASE_URL`` set, the model server is measured on the hand set
the same way (it answers first; the local model on its failures).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from sklearn.metrics import precision_recall_fscore_support

from leadflow.replies.intent import IntentReader
from leadflow.replies.linear import shipped_arrays
from leadflow.replies.model import INTENTS, Example, IntentModel, IntentPredictor, load, split


def scores(truth: list[str], found: list[str]) -> dict[str, Any]:
    labels = list(INTENTS)
    p, r, f, n = precision_recall_fscore_support(truth, found, labels=labels, zero_division=0)
    per = {
        label: {
            "precision": round(float(p[i]), 3),
            "recall": round(float(r[i]), 3),
            "f1": round(float(f[i]), 3),
            "n": int(n[i]),
        }
        for i, label in enumerate(labels)
    }
    macro = sum(float(x) for x in f) / len(labels)
    accuracy = sum(a == b for a, b in zip(truth, found, strict=True)) / len(truth)
    return {"macro_f1": round(macro, 4), "accuracy": round(accuracy, 4), "per_class": per}


def measure(
    model: IntentPredictor, examples: list[Example], reader: IntentReader
) -> dict[str, Any]:
    truth = [e.intent for e in examples]
    texts = [e.text for e in examples]
    alone = [intent for intent, _ in model.predict(texts)]
    readings = reader.read(texts)
    return {
        "n": len(examples),
        "model": scores(truth, alone),
        "rules_then_model": scores(truth, [r.intent for r in readings]),
        "by_rules": sum(r.source == "rules" for r in readings),
    }


def llm_reader() -> IntentReader | None:
    from leadflow.ai.client import LlmClient, LlmConfig
    from leadflow.settings import Settings

    config = LlmConfig.from_settings(Settings())
    return IntentReader(LlmClient(config)) if config is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--llm", action="store_true", help="measure the model server too")
    args = parser.parse_args()

    examples = load()
    train, test = split(examples)
    hand = load("holdout.csv")
    started = time.perf_counter()
    model = IntentModel(train)
    learn_s = time.perf_counter() - started
    started = time.perf_counter()
    shipped = shipped_arrays()
    load_s = time.perf_counter() - started
    reader = IntentReader(model=model)
    started = time.perf_counter()
    for e in hand:
        model.predict([e.text])
    per_reply_ms = (time.perf_counter() - started) * 1000 / len(hand)
    started = time.perf_counter()
    for e in hand:
        shipped.predict([e.text])
    shipped_ms = (time.perf_counter() - started) * 1000 / len(hand)
    report: dict[str, Any] = {
        "set": {"replies": len(examples), "train": len(train), "split": len(test)},
        "hand_written": len(hand),
        "learn_s": round(learn_s, 2),
        "load_shipped_s": round(load_s, 3),
        "ms_per_reply_shipped": round(shipped_ms, 2),
        "ms_per_reply": round(per_reply_ms, 2),
        "split": measure(model, test, reader),
        "hand": measure(model, hand, reader),
    }
    if args.llm:
        found = llm_reader()
        if found is None:
            report["llm"] = "LEADFLOW_LLM_BASE_URL is not set"
        else:
            readings = found.read([e.text for e in hand])
            report["llm"] = {
                **scores([e.intent for e in hand], [r.intent for r in readings]),
                "answered_by": {s: sum(r.source == s for r in readings) for s in ("llm", "model")},
            }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{len(examples)} labelled replies: {len(train)} to learn, {len(test)} held out; "
        f"{len(hand)} hand-written held out. Learnt in {learn_s:.1f} s, shipped arrays "
        f"loaded in {load_s:.3f} s; {per_reply_ms:.1f} ms per reply ({shipped_ms:.1f} ms with "
        "the shipped arrays)."
    )
    for part in ("split", "hand"):
        for way in ("model", "rules_then_model"):
            found_scores = report[part][way]
            print(
                f"\n{part} ({report[part]['n']}), {way}: macro F1 {found_scores['macro_f1']:.3f}, "
                f"accuracy {found_scores['accuracy']:.3f}"
            )
            print(f"  {'intent':20} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}")
            for label, s in found_scores["per_class"].items():
                print(
                    f"  {label:20} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f} "
                    f"{s['n']:4d}"
                )
    if "llm" in report:
        print("\nmodel server on the hand-written set:", json.dumps(report["llm"]))


if __name__ == "__main__":
    main()
