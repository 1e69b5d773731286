"""The shipped labelled set and the local model: size, classes, no duplicates, the hand-written
held-out set kept out, labels that agree with the compliance rules, a deterministic stratified
split, and quality floors on both held-out sets (macro F1 >= 0.85, each class's recall and
precision >= 0.75)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from sklearn.metrics import f1_score, precision_recall_fscore_support

from leadflow.compliance.keywords import Intent, classify
from leadflow.replies.intent import IntentReader
from leadflow.replies.model import INTENTS, evaluation_model, load, split

_KEY = re.compile(r"[^\w]+")


def _key(text: str) -> str:
    return _KEY.sub("", text.lower())


def test_the_shipped_set_is_large_varied_and_labelled_with_every_intent() -> None:
    examples = load()
    assert len(examples) >= 1600
    counts = Counter(e.intent for e in examples)
    assert set(counts) == set(INTENTS)
    assert min(counts.values()) >= 200
    keys = [_key(e.text) for e in examples]
    assert len(set(keys)) == len(keys)  # no reply twice, even told apart by case or commas
    texts = [e.text for e in examples]
    assert any(re.search(r"[\U0001F300-\U0001FAFF]", t) for t in texts)  # emoji
    assert sum(1 for t in texts if re.search(r"[ñáéíóú¿¡]", t)) >= 50  # Spanish
    assert sum(1 for t in texts if len(t.split()) == 1) >= 20  # one-word answers
    assert sum(1 for t in texts if "\n" in t) >= 20  # e-mail replies


def test_the_hand_written_held_out_set_is_apart_from_the_training_set() -> None:
    held = load("holdout.csv")
    assert len(held) >= 150
    assert set(Counter(e.intent for e in held)) == set(INTENTS)
    trained = {_key(e.text) for e in load()}
    assert not [e.text for e in held if _key(e.text) in trained]


@pytest.mark.parametrize("name", ["replies.csv", "holdout.csv"])
def test_what_the_rules_read_as_an_opt_out_is_labelled_opt_out(name: str) -> None:
    wrong = [e for e in load(name) if classify(e.text) is Intent.OPT_OUT and e.intent != "opt_out"]
    assert wrong == []


def test_the_split_is_deterministic_stratified_and_eighty_twenty() -> None:
    examples = load()
    train, test = split(examples)
    assert split(list(reversed(examples))) == (train, test)
    assert len(train) + len(test) == len(examples)
    assert not {e.text for e in train} & {e.text for e in test}
    for intent in INTENTS:
        total = sum(1 for e in examples if e.intent == intent)
        held = sum(1 for e in test if e.intent == intent)
        assert held == total // 5


def _scores(truth: list[str], found: list[str]) -> tuple[float, dict[str, tuple[float, float]]]:
    p, r, _, _ = precision_recall_fscore_support(
        truth, found, labels=list(INTENTS), zero_division=0
    )
    per = {i: (float(p[n]), float(r[n])) for n, i in enumerate(INTENTS)}
    return float(f1_score(truth, found, labels=list(INTENTS), average="macro")), per


def test_quality_on_the_held_out_split() -> None:
    _, test = split(load())
    found = [i for i, _ in evaluation_model().predict([e.text for e in test])]
    macro, per = _scores([e.intent for e in test], found)
    assert macro >= 0.85
    assert all(p >= 0.75 and r >= 0.75 for p, r in per.values()), per


def test_quality_on_the_hand_written_held_out_set_rules_first() -> None:
    held = load("holdout.csv")
    reader = IntentReader(model=evaluation_model())
    found = [r.intent for r in reader.read([e.text for e in held])]
    macro, per = _scores([e.intent for e in held], found)
    assert macro >= 0.85
    assert all(p >= 0.75 and r >= 0.75 for p, r in per.values()), per


def test_the_model_is_deterministic_and_gives_probabilities() -> None:
    texts = ["what's the HOA?", "not now", "Can we see it Saturday at 2?"]
    first = evaluation_model().predict(texts)
    assert [i for i, _ in first] == ["question", "not_now", "appointment_request"]
    assert all(0.0 < p <= 1.0 for _, p in first)
    from leadflow.replies.model import IntentModel

    again = IntentModel(split(load())[0]).predict(texts)
    assert again == first
