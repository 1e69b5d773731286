"""One bad item never stops a batch: when processing a batch raises, it is retried in halves
until the item that fails alone is found; that item is quarantined with its error and the
others are committed.

A store that cannot be reached is not bad data: before splitting or quarantining, ``healthy``
asks the store something trivial, and when that fails too the original error goes up (the pass
fails as before; nothing is quarantined). A single item gets a second try before it is
quarantined, so a passing fault (a deadlock, a dropped connection) does not set it aside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def describe(exc: BaseException) -> str:
    """An exception as a reason to store: its type and text."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def isolate(
    items: Sequence[T],
    process: Callable[[Sequence[T]], None],
    quarantine: Callable[[T, Exception], object],
    healthy: Callable[[], bool],
    what: str = "item",
) -> int:
    """``process(items)``; if it raises, process halves, down to single items, and
    ``quarantine`` each item that fails alone (twice). Returns how many were quarantined."""
    if not items:
        return 0
    try:
        process(items)
        return 0
    except Exception as exc:
        if not healthy():
            raise
        if len(items) > 1:
            log.warning(
                "a batch of %d %ss failed (%s); retrying it in halves", len(items), what, exc
            )
        else:
            try:
                process(items)  # a second try: the fault may have passed
                return 0
            except Exception as again:
                if not healthy():
                    raise
                log.error("%s %r quarantined: %s", what, _name(items[0]), describe(again))
                quarantine(items[0], again)
                return 1
    mid = len(items) // 2
    return isolate(items[:mid], process, quarantine, healthy, what) + isolate(
        items[mid:], process, quarantine, healthy, what
    )


def _name(item: object) -> object:
    for attr in ("id", "run", "message"):
        value = getattr(item, attr, None)
        if value is not None:
            return getattr(value, "id", value)
    return item


def store_answers(probe: Callable[[], object]) -> Callable[[], bool]:
    """A ``healthy`` check: True when ``probe`` (a trivial store read) returns."""

    def healthy() -> bool:
        try:
            probe()
        except Exception:
            return False
        return True

    return healthy


__all__ = ["describe", "isolate", "store_answers"]
