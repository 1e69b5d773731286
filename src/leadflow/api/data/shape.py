"""What the API's shapes share: times as UTC date-times, and shapes read off a record's
attributes of the same names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict

from leadflow.clock import to_iso


def when(ts: float | None) -> datetime | None:
    """A time as the API shows it: UTC, to the second, as the CLI's JSON shows it."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).replace(microsecond=0)


def _time(value: Any) -> Any:
    return when(value) if isinstance(value, int | float) else value


def _iso(value: Any) -> Any:
    return to_iso(value) if isinstance(value, int | float) else value


Time = Annotated[datetime | None, BeforeValidator(_time)]
"""A time kept as epoch seconds, shown as a UTC date-time to the second."""
Second = Annotated[datetime, BeforeValidator(_time)]
"""The same, to the second."""
Iso = Annotated[str | None, BeforeValidator(_iso)]
"""The same as ISO 8601 text (``...Z``), to the second."""
IsoText = Annotated[str, BeforeValidator(_iso)]
"""The same, never null."""


class Record(BaseModel):
    """A shape whose fields are the attributes of the same names of a record (a
    :class:`Time` field from its epoch seconds)."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, record: Any, **given: Any) -> Self:
        """The shape of ``record``; ``given`` values win over its attributes (for the fields
        it names otherwise, or shows otherwise)."""
        if not given:
            return cls.model_validate(record)
        read = {n: getattr(record, n) for n in cls.model_fields if n not in given}
        return cls.model_validate(read | given)
