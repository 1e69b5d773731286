"""Records as plain dicts, for JSON output: the ``as_dict`` of a dataclass written once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def field_values(record: DataclassInstance, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """A dataclass's fields by name in declaration order, values as they are (not copied): the
    start of an ``as_dict`` that then replaces the values needing a conversion."""
    return {f.name: getattr(record, f.name) for f in fields(record) if f.name not in skip}


class AsDict:
    """Base of a dataclass whose ``as_dict`` is :func:`dataclasses.asdict`: every field, nested
    dataclasses as dicts, containers copied."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(cast("DataclassInstance", self))


__all__ = ["AsDict", "field_values"]
