"""Path parameters that more than one router takes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

ContactId = Annotated[str, Path(min_length=1, max_length=200, description="The contact's id.")]
RowId = Annotated[int, Path(ge=1, le=2**62)]
"""The id of a stored row (a run, message, rule, task)."""
