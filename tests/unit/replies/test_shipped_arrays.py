"""The shipped reply-intent model (``data/intent_model.npz``, plain arrays read with numpy):
it reads the evaluation sets exactly as a fresh scikit-learn fit on the same labelled set does,
the conversion to arrays keeps every answer, and loading it learns nothing and imports no
scikit-learn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from leadflow.replies.intent import IntentReader
from leadflow.replies.linear import LinearIntentModel
from leadflow.replies.model import (
    INTENTS,
    IntentModel,
    evaluation_model,
    load,
    shipped_model,
    split,
)


def _same(expected: list[tuple[str, float]], found: list[tuple[str, float]]) -> None:
    assert [i for i, _ in found] == [i for i, _ in expected]
    assert np.allclose([p for _, p in found], [p for _, p in expected], rtol=0, atol=1e-9)


def test_the_shipped_arrays_read_the_evaluation_sets_as_a_fresh_fit_does() -> None:
    """Stale arrays (the labelled set, the features or the classifier changed without running
    ``scripts/make_intent_model.py``) fail here."""
    examples = load()
    _, held_out = split(examples)
    hand = load("holdout.csv")
    texts = [e.text for e in held_out + hand]
    _same(IntentModel(examples).predict(texts), shipped_model().predict(texts))


def test_the_arrays_of_a_fit_answer_as_the_fit_and_keep_its_f1(tmp_path: Path) -> None:
    _, held_out = split(load())
    texts, truth = [e.text for e in held_out], [e.intent for e in held_out]
    fitted = evaluation_model()
    fitted.arrays().save(tmp_path / "m.npz")
    arrays = LinearIntentModel.read(tmp_path / "m.npz")
    expected, found = fitted.predict(texts), arrays.predict(texts)
    _same(expected, found)
    f1 = [
        f1_score(truth, [i for i, _ in got], labels=list(INTENTS), average="macro")
        for got in (expected, found)
    ]
    assert f1[0] == f1[1] >= 0.85


def test_replies_are_read_with_the_shipped_arrays_by_default() -> None:
    reader = IntentReader()
    assert isinstance(reader.model, LinearIntentModel)
    (reading,) = reader.read(["Can we see it Saturday at 2?"])
    assert (reading.intent, reading.source) == ("appointment_request", "model")


def test_loading_the_shipped_model_imports_no_scikit_learn() -> None:
    code = (
        "import sys\n"
        "from leadflow.replies.model import shipped_model\n"
        "print(shipped_model().predict(['not now'])[0][0])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split("\n")[:2] == ["not_now", "[]"]
