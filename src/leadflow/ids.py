"""Row ids as they arrive from outside (event data, webhook parameters): a positive integer
that fits the databases' 64-bit ``bigint`` columns, nothing else."""

from __future__ import annotations

from typing import Any, TypeGuard

MAX_ID = 2**63 - 1  # PostgreSQL bigint, SQLite INTEGER


def is_id(value: Any) -> TypeGuard[int]:
    """Whether ``value`` can name a stored row: an int (not a bool) in ``1..MAX_ID``."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def id_problem(value: Any) -> str | None:
    """Why ``value`` is not an id (None when it is one)."""
    if is_id(value):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value} is out of range (1..{MAX_ID})"
    return f"must be an integer id, not {type(value).__name__}"


__all__ = ["MAX_ID", "id_problem", "is_id"]
