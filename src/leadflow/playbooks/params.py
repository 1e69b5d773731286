"""Template parameters: what a play lets its installer set, and the checking of the values.

A parameter has a name, a type (``string``, ``integer``, ``number``, ``boolean``, ``time``
``HH:MM``, ``duration`` such as ``2h``, ``choice``), a default (none: the installer must give
it), a description and an allowed range (``min``/``max`` for numbers, ``choices``, ``max_length``).
Values given on the command line arrive as text and are converted by type; a bad or missing
value is reported naming the parameter, every problem at once.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.definitions.durations import parse_duration

ParamType = Literal["string", "integer", "number", "boolean", "time", "duration", "choice"]
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    type: ParamType
    description: str = Field(min_length=1)
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: list[str] | None = None
    max_length: int | None = Field(default=None, ge=1)

    @property
    def required(self) -> bool:
        return self.default is None

    def allowed(self) -> str | None:
        """The allowed range in words (None: any value of the type)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.min is not None and self.max is not None:
            return f"{_num(self.min)} to {_num(self.max)}"
        if self.min is not None:
            return f"at least {_num(self.min)}"
        if self.max is not None:
            return f"at most {_num(self.max)}"
        if self.max_length is not None:
            return f"at most {self.max_length} characters"
        return None

    def convert(self, raw: Any) -> Any:
        """``raw`` (text from ``--set``, or a JSON value) as this parameter's type and inside
        its range; ValueError saying what is wrong."""
        value = self._typed(raw)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.min is not None and value < self.min:
                raise ValueError(f"{value} is below the minimum {_num(self.min)}")
            if self.max is not None and value > self.max:
                raise ValueError(f"{value} is above the maximum {_num(self.max)}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{value!r} is not one of {', '.join(self.choices)}")
        if self.max_length is not None and isinstance(value, str) and len(value) > self.max_length:
            raise ValueError(f"is longer than {self.max_length} characters")
        return value

    def _typed(self, raw: Any) -> Any:
        kind = self.type
        if kind == "boolean":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError(f"{raw!r} is not true or false")
        if kind == "integer":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError(f"{raw!r} is not a whole number")
            try:
                return int(str(raw).strip()) if not isinstance(raw, int | float) else int(raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not a whole number") from None
        if kind == "number":
            if isinstance(raw, bool):
                raise ValueError(f"{raw!r} is not a number")
            try:
                number = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
            except ValueError:
                raise ValueError(f"{raw!r} is not a number") from None
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(f"{raw!r} is not a finite number")
            return number
        if not isinstance(raw, str):
            raise ValueError(f"{raw!r} is not text")
        text = raw.strip()
        if kind == "time" and not _TIME.match(text):
            raise ValueError(f"{raw!r} is not a time HH:MM (00:00 to 23:59)")
        if kind == "duration":
            try:
                parse_duration(text)
            except ValueError as exc:
                raise ValueError(str(exc)) from None
        if kind == "string" and not text:
            raise ValueError("is empty")
        return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def resolve(declared: list[Parameter], given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The values of every declared parameter (given, else its default) and the problems, each
    ``"<name>: <problem>"``: unknown names, missing required values, bad values."""
    known = {p.name: p for p in declared}
    errors = [
        f"{name}: no such parameter (this template has: {', '.join(known) or 'none'})"
        for name in given
        if name not in known
    ]
    values: dict[str, Any] = {}
    for p in declared:
        if p.name in given:
            try:
                values[p.name] = p.convert(given[p.name])
            except ValueError as exc:
                errors.append(f"{p.name}: {exc}")
        elif p.required:
            errors.append(f"{p.name}: required ({p.description})")
        else:
            values[p.name] = p.default
    return values, errors


_WHOLE = re.compile(r"^\[\[\s*([a-z][a-z0-9_]*)\s*\]\]$")
_PART = re.compile(r"\[\[\s*([a-z][a-z0-9_]*)\s*\]\]")


def fill(data: Any, values: dict[str, Any]) -> Any:
    """``data`` with each ``[[ name ]]`` replaced by the parameter's value: a string that is
    only a placeholder takes the value with its type, one inside text its text form. (Jinja2's
    ``{{ }}`` is left alone for the message templates.) KeyError for an undeclared name."""
    if isinstance(data, dict):
        return {k: fill(v, values) for k, v in data.items()}
    if isinstance(data, list):
        return [fill(v, values) for v in data]
    if isinstance(data, str):
        whole = _WHOLE.match(data)
        if whole:
            return values[whole.group(1)]
        return _PART.sub(lambda m: _text(values[m.group(1)]), data)
    return data


def placeholders(data: Any) -> set[str]:
    """Every parameter name used in ``data``."""
    if isinstance(data, dict):
        return set().union(*(placeholders(v) for v in data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*(placeholders(v) for v in data)) if data else set()
    if isinstance(data, str):
        return set(_PART.findall(data))
    return set()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
