"""The fitted reply-intent model as plain arrays, read with numpy alone: the two TF-IDF
vocabularies (terms in column order) and their inverse document frequencies, then the logistic
regression's coefficients, intercepts and classes. ``data/intent_model.npz`` is the shipped one,
written by ``scripts/make_intent_model.py`` from the labelled set; loading it trains nothing,
imports no scikit-learn and unpickles nothing (``allow_pickle=False``).

:meth:`LinearIntentModel.predict` computes what the scikit-learn pipeline it came from computes:
per part, counts of the :mod:`.features` terms, ``1 + log(count)``, times the idf, scaled to unit
length; the parts side by side; softmax of the linear scores.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from leadflow.replies.features import char_terms, word_terms

SHIPPED = "intent_model.npz"
Floats = npt.NDArray[np.float64]
Analyzer = Callable[[str], list[str]]


@dataclass(frozen=True)
class TermPart:
    """One TF-IDF part: its terms (column order) and their idf."""

    terms: Sequence[str]
    idf: Floats

    def __post_init__(self) -> None:
        if len(self.terms) != len(self.idf):
            raise ValueError("a part's terms and idf differ in length")


def _weights(
    text: str, analyzer: Analyzer, index: dict[str, int], idf: Floats, offset: int
) -> tuple[list[int], Floats]:
    counts = Counter(t for t in analyzer(text) if t in index)
    if not counts:
        return [], np.zeros(0)
    columns = [index[t] for t in counts]
    values = (1.0 + np.log(np.array(list(counts.values()), dtype=np.float64))) * idf[columns]
    values /= np.sqrt(values @ values)
    return [offset + c for c in columns], values


class LinearIntentModel:
    """A fitted model: :meth:`predict` gives (intent, probability) per text."""

    def __init__(
        self,
        words: TermPart,
        chars: TermPart,
        coef: Floats,
        intercept: Floats,
        classes: Sequence[str],
    ) -> None:
        width = len(words.terms) + len(chars.terms)
        if coef.shape != (len(classes), width) or intercept.shape != (len(classes),):
            raise ValueError(f"coefficients {coef.shape} do not fit {len(classes)} x {width}")
        self.words, self.chars = words, chars
        self.coef, self.intercept = coef, intercept
        self.classes = [str(c) for c in classes]
        self._parts: list[tuple[Analyzer, dict[str, int], Floats, int]] = [
            (word_terms, {t: i for i, t in enumerate(words.terms)}, words.idf, 0),
            (char_terms, {t: i for i, t in enumerate(chars.terms)}, chars.idf, len(words.terms)),
        ]

    def probabilities(self, text: str) -> Floats:
        columns: list[int] = []
        values: list[Floats] = []
        for analyzer, index, idf, offset in self._parts:
            cols, vals = _weights(text, analyzer, index, idf, offset)
            columns += cols
            values.append(vals)
        scores = self.coef[:, columns] @ np.concatenate(values) + self.intercept
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()  # type: ignore[no-any-return]

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        found = []
        for text in texts:
            row = self.probabilities(text)
            best = int(row.argmax())
            found.append((self.classes[best], float(row[best])))
        return found

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            word_terms=np.array(self.words.terms, dtype=np.str_),
            word_idf=self.words.idf,
            char_terms=np.array(self.chars.terms, dtype=np.str_),
            char_idf=self.chars.idf,
            coef=self.coef,
            intercept=self.intercept,
            classes=np.array(self.classes, dtype=np.str_),
        )

    @classmethod
    def read(cls, source: IO[bytes] | Path) -> LinearIntentModel:
        with np.load(source, allow_pickle=False) as arrays:
            return cls(
                TermPart(arrays["word_terms"].tolist(), arrays["word_idf"]),
                TermPart(arrays["char_terms"].tolist(), arrays["char_idf"]),
                arrays["coef"],
                arrays["intercept"],
                arrays["classes"].tolist(),
            )


def shipped_arrays() -> LinearIntentModel:
    """The model shipped in the package's ``data/`` (numpy only)."""
    with files("leadflow.replies").joinpath("data", SHIPPED).open("rb") as source:
        return LinearIntentModel.read(source)


__all__ = ["SHIPPED", "LinearIntentModel", "TermPart", "shipped_arrays"]
