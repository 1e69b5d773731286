"""Keyset pages: read one more than asked for, to know whether another page follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar


class Limited(Protocol):
    limit: int


F = TypeVar("F", bound=Limited)
T = TypeVar("T")
C = TypeVar("C")


def page_of(
    read: Callable[[F], list[T]], flt: F, cursor: Callable[[T], C]
) -> tuple[list[T], C | None]:
    """The first ``flt.limit`` of what ``read`` finds, and the cursor of the last of them when
    more follow (None on the last page)."""
    limit = flt.limit
    flt.limit = limit + 1
    found = read(flt)
    return found[:limit], (cursor(found[limit - 1]) if len(found) > limit else None)
