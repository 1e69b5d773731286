"""The local reply-intent model: TF-IDF word and character n-grams into a logistic regression,
trained from the labelled replies shipped in ``data/replies.csv`` the first time it is needed
(deterministic; kept in the process; nothing downloaded, nothing unpickled).

The set is split once, deterministically and per class: each class's replies ordered by the
SHA-256 of their text, every fifth one held out (:func:`split`). :func:`evaluation_model` learns
from the training part only and is what the figures measure; :func:`shipped_model`, the one
classifying real replies, learns from the whole set. ``data/holdout.csv`` is a separate,
hand-written set no model ever learns from.
"""

from __future__ import annotations

import csv
import hashlib
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

INTENTS = (
    "interested",
    "question",
    "not_now",
    "wrong_number",
    "opt_out",
    "appointment_request",
    "needs_agent",
)
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


def plain(text: str) -> str:
    """Lower case, accents and curly quotes dropped, spaces collapsed."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split())


class IntentModel:
    """A fitted pipeline; :meth:`predict` gives (intent, probability) per text."""

    def __init__(self, examples: Sequence[Example]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        features = FeatureUnion(
            [
                (
                    "words",
                    TfidfVectorizer(
                        preprocessor=plain,
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                        token_pattern=r"(?u)\b\w+\b|[^\w\s]",
                    ),
                ),
                (
                    "chars",
                    TfidfVectorizer(
                        preprocessor=plain,
                        analyzer="char_wb",
                        ngram_range=(2, 5),
                        sublinear_tf=True,
                        min_df=2,
                    ),
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


_lock = threading.Lock()
_models: dict[str, IntentModel] = {}


def _cached(name: str, examples: Any) -> IntentModel:
    with _lock:
        model = _models.get(name)
        if model is None:
            model = _models[name] = IntentModel(examples())
        return model


def shipped_model() -> IntentModel:
    """The model that classifies replies: learnt from the whole shipped set, once per process."""
    return _cached("shipped", load)


def evaluation_model() -> IntentModel:
    """The model the figures measure: learnt from the training part of the split only."""
    return _cached("evaluation", lambda: split(load())[0])


__all__ = [
    "INTENTS",
    "Example",
    "IntentModel",
    "evaluation_model",
    "load",
    "plain",
    "shipped_model",
    "split",
]
