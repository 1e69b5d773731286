"""A CSV of labelled rows as a feature matrix, and its split into training and hold-out rows.

Rows are taken to be in time order (file order). Numeric columns are used as they are; a text
column is one-hot encoded (one 0/1 column per value, the empty value included) unless it has so
many distinct values that it looks like an identifier, which is refused. The target column holds
0/1, yes/no or true/false (any case).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from leadflow.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
MAX_CATEGORIES = 50
_TRUE = {"1", "yes", "true", "y", "1.0"}
_FALSE = {"0", "no", "false", "n", "0.0"}


@dataclass(frozen=True, slots=True)
class Dataset:
    """Feature rows in file order, their 0/1 outcomes and the feature names."""

    x: FloatArray
    y: FloatArray
    feature_names: list[str]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _outcome(text: str, target: str, row: int) -> float:
    key = text.strip().lower()
    if key in _TRUE:
        return 1.0
    if key in _FALSE:
        return 0.0
    raise InvalidInput(
        f"--target: column {target!r} is not binary: {text!r} on row {row} "
        "(expected 0/1, yes/no or true/false)"
    )


def load_csv(path: Path, target: str) -> Dataset:
    """Read ``path``; InvalidInput naming the option or column for anything unusable."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            rows = list(reader)
    except FileNotFoundError:
        raise InvalidInput(f"--csv: file {path} does not exist") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"--csv: {path} is not a readable CSV file ({exc})") from None
    if target not in header:
        raise InvalidInput(f"--target: no column {target!r} in {path} (columns: {header[:20]})")
    if not rows:
        raise InvalidInput(f"--csv: {path} has no data rows")
    y = np.array([_outcome(r[target] or "", target, i + 2) for i, r in enumerate(rows)])
    columns: list[FloatArray] = []
    names: list[str] = []
    for name in header:
        if name == target:
            continue
        texts = [(r.get(name) or "").strip() for r in rows]
        numbers = [_number(t) for t in texts]
        if all(v is not None for v in numbers):
            columns.append(np.array(numbers, dtype=np.float64))
            names.append(name)
            continue
        values = sorted(set(texts))
        if len(values) > MAX_CATEGORIES:
            raise InvalidInput(
                f"--csv: column {name!r} has {len(values)} distinct non-numeric values "
                f"(more than {MAX_CATEGORIES}); drop it or make it numeric"
            )
        for value in values:
            columns.append(np.array([t == value for t in texts], dtype=np.float64))
            names.append(f"{name}={value}")
    if not columns:
        raise InvalidInput(f"--csv: {path} has no feature columns besides {target!r}")
    return Dataset(np.column_stack(columns), y, names)


def holdout_rows(rows: int, first: int | None, frac: float | None) -> npt.NDArray[np.bool_]:
    """Which rows are held out: the first ``first`` rows, or else the last ``frac`` share of
    rows (0.2 when neither is given)."""
    if first is not None and frac is not None:
        raise InvalidInput("--holdout-first and --holdout-frac: give one or the other, not both")
    mask = np.zeros(rows, dtype=np.bool_)
    if first is not None:
        if first < 1 or first >= rows:
            raise InvalidInput(
                f"--holdout-first: {first} must be at least 1 and less than the {rows} rows"
            )
        mask[:first] = True
        return mask
    share = 0.2 if frac is None else frac
    if not 0 < share < 1:
        raise InvalidInput(f"--holdout-frac: {share} must be between 0 and 1 (exclusive)")
    count = math.ceil(rows * share)
    if count >= rows:
        raise InvalidInput(f"--holdout-frac: {share} leaves no training rows out of {rows}")
    mask[rows - count :] = True
    return mask


__all__ = ["MAX_CATEGORIES", "Dataset", "holdout_rows", "load_csv"]
