"""Reading a labelled CSV and choosing the hold-out rows; every refusal names the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.errors import InvalidInput
from leadflow.scoring.dataset import holdout_rows, load_csv


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_numbers_stay_text_is_one_hot_and_yes_no_targets_are_read(tmp_path: Path) -> None:
    path = write(tmp_path, "age,city,bought\n30,Austin,Yes\n41,Dallas,no\n25,,TRUE\n")
    data = load_csv(path, "bought")
    assert data.feature_names == ["age", "city=", "city=Austin", "city=Dallas"]
    assert data.y.tolist() == [1.0, 0.0, 1.0]
    assert data.x.tolist() == [[30, 0, 1, 0], [41, 0, 0, 1], [25, 1, 0, 0]]


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("a,b\n1,0\n", "y", "--target: no column 'y'"),
        ("a,y\n1,0\n2,maybe\n", "y", "--target: column 'y' is not binary: 'maybe' on row 3"),
        ("a,y\n", "y", "--csv: "),
        ("y\n1\n0\n", "y", "--csv: .*has no feature columns besides 'y'"),
    ],
)
def test_unusable_files_are_refused(tmp_path: Path, text: str, target: str, message: str) -> None:
    with pytest.raises(InvalidInput, match="^" + message):
        load_csv(write(tmp_path, text), target)


def test_identifier_like_text_columns_are_refused(tmp_path: Path) -> None:
    rows = "".join(f"id-{i},{i % 2}\n" for i in range(60))
    with pytest.raises(InvalidInput, match="--csv: column 'email' has 60 distinct"):
        load_csv(write(tmp_path, "email,y\n" + rows), "y")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"--csv: file .*nope\.csv does not exist"):
        load_csv(tmp_path / "nope.csv", "y")


def test_holdout_first_takes_the_first_rows_and_frac_the_last() -> None:
    assert holdout_rows(5, 2, None).tolist() == [True, True, False, False, False]
    assert holdout_rows(5, None, 0.4).tolist() == [False, False, False, True, True]
    assert holdout_rows(10, None, None).sum() == 2  # the last 20% by default


@pytest.mark.parametrize(
    ("first", "frac", "message"),
    [
        (5, None, "--holdout-first: 5 must be at least 1 and less than the 5 rows"),
        (0, None, "--holdout-first: 0 must be"),
        (None, 1.0, "--holdout-frac: 1.0 must be between 0 and 1"),
        (None, 0.99, "--holdout-frac: 0.99 leaves no training rows"),
        (2, 0.2, "--holdout-first and --holdout-frac"),
    ],
)
def test_bad_holdouts_are_refused(first: int | None, frac: float | None, message: str) -> None:
    with pytest.raises(InvalidInput, match="^" + message):
        holdout_rows(5, first, frac)
