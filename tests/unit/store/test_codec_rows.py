"""codec.row_reader and row_writer: records to and from rows, by column name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from leadflow.store.codec import opt_float, opt_int, row_reader, row_writer


@dataclass(frozen=True, slots=True)
class _Base:
    name: str
    size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Kept(_Base):
    id: int
    at: float | None = None


COLS = "id, name, size, at"


def test_a_row_reads_by_column_name_with_keyword_only_fields_by_name() -> None:
    read = row_reader(_Kept, COLS, {"id": int, "size": opt_int, "at": opt_float})
    assert read(("7", "a", None, 3)) == _Kept(id=7, name="a", size=None, at=3.0)
    assert read(("8", "b", "2", None)) == _Kept(id=8, name="b", size=2, at=None)


def test_a_record_writes_the_columns_in_their_order() -> None:
    write = row_writer(_Kept, COLS, {"at": opt_float})
    assert write(_Kept(id=7, name="a", size=2, at=3)) == (7, "a", 2, 3.0)
    assert row_writer(_Kept, "name")(_Kept(id=1, name="x")) == ("x",)


def test_columns_that_name_no_field_fail_when_made() -> None:
    with pytest.raises(RuntimeError):
        row_writer(_Kept, "id, colour")
    with pytest.raises(RuntimeError):
        row_reader(_Kept, "id, name")  # size and at have no column
