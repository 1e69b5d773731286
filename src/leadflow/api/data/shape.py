"""What the API's shapes share: times as UTC date-times, and shapes read off a record's
attributes of the same names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict


def when(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _time(value: Any) -> Any:
    return when(value) if isinstance(value, int | float) else value


def _second(value: Any) -> Any:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).replace(microsecond=0)
    return value


Time = Annotated[datetime | None, BeforeValidator(_time)]
"""A time kept as epoch seconds, shown as a UTC date-time."""
Second = Annotated[datetime, BeforeValidator(_second)]
"""The same, to the second."""


class Record(BaseModel):
    """A shape whose fields are the attributes of the same names of a record (a
    :class:`Time` field from its epoch seconds)."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, record: Any) -> Self:
        return cls.model_validate(record)
