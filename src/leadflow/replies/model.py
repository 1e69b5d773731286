"""The local reply-intent model: TF-IDF word and character n-grams (:mod:`.features`) into a
logistic regression, learnt from the labelled replies shipped in ``data/replies.csv``
(deterministic; nothing downloaded, nothing unpickled).

The set is split once, deterministically and per class: each class's replies ordered by the
SHA-256 of their text, every fifth one held out (:func:`split`). :func:`evaluation_model` learns
from the training part only and is what the figures measure; :func:`shipped_model`, the one
classifying real replies, was learnt from the whole set when the package was built and is read
from ``data/intent_model.npz`` as plain arrays (:mod:`.linear`; ``scripts/make_intent_model.py``
writes it). ``data/holdout.csv`` is a separate, hand-written set no model ever learns from.
"""

from __future__ import annotations

import csv
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Protocol

import numpy as np

from leadflow.model.replies import INTENTS
from leadflow.replies.features import CHAR_MIN_DF, char_terms, plain, word_terms
from leadflow.replies.linear import LinearIntentModel, TermPart, shipped_arrays

HELD_OUT_EVERY = 5  # one reply in five of each class is held out of training


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str


def load(name: str = "replies.csv") -> list[Example]:
    """A labelled set shipped with the package (``replies.csv`` or ``holdout.csv``)."""
    raw = files("leadflow.replies").joinpath("data", name).read_text(encoding="utf-8")
    rows = csv.DictReader(raw.splitlines(keepends=True))
    found = [Example(row["text"], row["intent"]) for row in rows]
    unknown = {e.intent for e in found} - set(INTENTS)
    if unknown:
        raise ValueError(f"{name}: unknown intents {sorted(unknown)}")
    return found


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def split(examples: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """(training, held out): per class, every fifth reply in SHA-256 order is held out."""
    train: list[Example] = []
    test: list[Example] = []
    for intent in INTENTS:
        ordered = sorted((e for e in examples if e.intent == intent), key=lambda e: _digest(e.text))
        for i, example in enumerate(ordered):
            (test if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 else train).append(example)
    return train, test


class IntentPredictor(Protocol):
    """What reads a reply locally: (intent, probability) per text."""

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]: ...


class IntentModel:
    """A pipeline fitted with scikit-learn; :meth:`predict` gives (intent, probability) per
    text, :meth:`arrays` the same model as plain arrays."""

    def __init__(self, examples: Sequence[Example]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(analyzer=word_terms, sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(analyzer=char_terms, sublinear_tf=True, min_df=CHAR_MIN_DF),
                ),
            ]
        )
        classifier = LogisticRegression(C=20.0, max_iter=3000)
        self.pipeline: Any = Pipeline([("features", features), ("classifier", classifier)])
        self.pipeline.fit([e.text for e in examples], [e.intent for e in examples])
        self.classes: list[str] = [str(c) for c in self.pipeline.classes_]
        self.size = len(examples)

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        if not texts:
            return []
        probabilities = self.pipeline.predict_proba(list(texts))
        found = []
        for row in probabilities:
            best = int(row.argmax())
            found.append((self.classes[best], float(row[best])))
        return found

    def arrays(self) -> LinearIntentModel:
        """The fitted vocabularies, idf, coefficients, intercepts and classes (numpy only)."""
        parts = dict(self.pipeline.named_steps["features"].transformer_list)
        classifier = self.pipeline.named_steps["classifier"]

        def part(name: str) -> TermPart:
            vectorizer = parts[name]
            terms = [str(t) for t in vectorizer.get_feature_names_out()]
            return TermPart(terms, np.asarray(vectorizer.idf_, dtype=np.float64))

        return LinearIntentModel(
            part("words"),
            part("chars"),
            np.asarray(classifier.coef_, dtype=np.float64),
            np.asarray(classifier.intercept_, dtype=np.float64),
            self.classes,
        )


_lock = threading.Lock()
_models: dict[str, IntentPredictor] = {}


def _cached(name: str, make: Any) -> Any:
    with _lock:
        model = _models.get(name)
        if model is None:
            model = _models[name] = make()
        return model


def shipped_model() -> LinearIntentModel:
    """The model that classifies replies: learnt from the whole shipped set at build time, read
    from the package's arrays once per process."""
    return _cached("shipped", shipped_arrays)  # type: ignore[no-any-return]


def evaluation_model() -> IntentModel:
    """The model the figures measure: learnt from the training part of the split only (in this
    process, with scikit-learn)."""
    return _cached("evaluation", lambda: IntentModel(split(load())[0]))  # type: ignore[no-any-return]


__all__ = [
    "INTENTS",
    "Example",
    "IntentModel",
    "IntentPredictor",
    "evaluation_model",
    "load",
    "plain",
    "shipped_model",
    "split",
]
