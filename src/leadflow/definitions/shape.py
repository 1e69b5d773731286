"""Shape checks with readable messages: the pydantic half of :mod:`.validation`.

A model is checked field by field (:func:`parse_fields`), so one bad field does not hide the
others, and pydantic's errors become ``"<path>: <problem>"`` lines. Conditions are a plain union,
for which pydantic reports every member's complaint; their shape is re-checked here by hand so
the user reads one message per real problem.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Annotated, Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from leadflow.definitions.conditions_model import Compare

_CONDITION_TAGS = frozenset({"All", "AnyOf", "Not", "Compare"})
_CONDITION_FIELDS = frozenset({"when", "match", "filter"})
_IDENT = re.compile(r"^[A-Za-z_][\w-]*$")
FAILED: Any = object()


def describe(value: Any) -> str:
    """``value``'s JSON type, with a short repr for scalars: ``a number (5)``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({text!r})"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"a {type(value).__name__}"


def join(base: str, loc: Sequence[int | str]) -> str:
    """``nodes[2](x)`` + ``("cases", 0, "next")`` -> ``nodes[2](x).cases[0].next``."""
    out = base
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


def _pattern_problem(field: str, value: Any) -> str:
    if field in ("time", "start", "end"):
        return f"expected a time as HH:MM (24-hour clock), got {value!r}"
    if field == "key":
        return (
            f"invalid key {value!r}: use lowercase letters, digits, _ and -, "
            "starting with a letter or digit"
        )
    if field == "field":
        return f"expected a dotted path such as contact.state or event.data.source, got {value!r}"
    return f"invalid node id {value!r}: use letters, digits, _ and -, starting with a letter or _"


def message(err: ErrorDetails, field: str = "") -> str:
    """One pydantic error as a sentence (without the path); ``field``: the validated field."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    last = next((p for p in reversed((field, *err["loc"])) if isinstance(p, str)), "")
    simple = {
        "missing": "field required",
        "string_type": f"expected a string, got {describe(value)}",
        "int_type": f"expected a whole number, got {describe(value)}",
        "int_parsing": f"expected a whole number, got {describe(value)}",
        "int_from_float": f"expected a whole number, got {describe(value)}",
        "float_type": f"expected a number, got {describe(value)}",
        "float_parsing": f"expected a number, got {describe(value)}",
        "bool_type": f"expected true or false, got {describe(value)}",
        "bool_parsing": f"expected true or false, got {describe(value)}",
        "list_type": f"expected a list, got {describe(value)}",
        "dict_type": f"expected a mapping, got {describe(value)}",
        "model_type": f"expected a mapping, got {describe(value)}",
        "model_attributes_type": f"expected a mapping, got {describe(value)}",
        "string_pattern_mismatch": _pattern_problem(last, value),
        "literal_error": f"invalid value {value!r}; expected one of {ctx.get('expected')}",
        "greater_than": f"must be greater than {ctx.get('gt')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than": f"must be less than {ctx.get('lt')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "too_short": f"needs at least {ctx.get('min_length')} item(s)",
    }
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else str(err["msg"])
    text = simple.get(kind)
    if text is not None:
        return text
    msg = str(err["msg"])
    return msg[:1].lower() + msg[1:]


def _dig(value: Any, loc: Sequence[int | str]) -> Any:
    for part in loc:
        in_list = isinstance(part, int) and isinstance(value, list | tuple) and part < len(value)
        if not in_list and not (isinstance(value, Mapping) and part in value):
            return FAILED
        value = value[part]
    return value


def messages(exc: ValidationError, raw: Any, base: str, field: str = "") -> list[str]:
    """``exc``'s errors as ``"<path>: <problem>"``; ``raw`` is the input, at path ``base``.

    ``field`` is the name of the validated field (to spot condition fields).
    """
    out: list[str] = []
    roots: list[tuple[int | str, ...]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        full = (field, *loc)
        tag = next(
            (
                i
                for i in range(1, len(full))
                if full[i] in _CONDITION_TAGS and full[i - 1] in _CONDITION_FIELDS
            ),
            None,
        )
        if tag is not None:
            root = loc[: tag - 1]
            if root not in roots:
                roots.append(root)
        elif err["type"] == "extra_forbidden" and loc:
            key = loc[-1]
            out.append(f"{join(base, loc[:-1]) or '(root)'}: unknown field {key!r}")
        else:
            out.append(f"{join(base, loc) or '(root)'}: {message(err, field)}")
    for root in roots:
        path = join(base, root)
        out.extend(condition_shape(_dig(raw, root), path) or [f"{path}: invalid condition"])
    return out


def condition_shape(raw: Any, path: str) -> list[str]:
    """Shape problems of a raw condition: ``{field, op, value}`` or ``all`` / ``any`` / ``not``."""
    if not isinstance(raw, Mapping):
        return [
            f"{path}: expected a condition ({{field, op, value}} or all / any / not), "
            f"got {describe(raw)}"
        ]
    for key in ("all", "any", "not", "not_"):
        if key not in raw:
            continue
        out = [f"{path}: unknown field {k!r} next to {key!r}" for k in raw if k != key]
        inner = raw[key]
        if key.startswith("not"):
            return out + condition_shape(inner, f"{path}.not")
        if not isinstance(inner, list):
            return [*out, f"{path}.{key}: expected a list of conditions, got {describe(inner)}"]
        for i, item in enumerate(inner):
            out += condition_shape(item, f"{path}.{key}[{i}]")
        return out
    try:
        Compare.model_validate(raw)
    except ValidationError as exc:
        return messages(exc, raw, path)
    return []


@cache
def field_adapter(cls: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = cls.model_fields[name]
    hint: Any = Annotated[info.annotation, info]  # the field's type with its constraints
    return TypeAdapter(hint)


@cache
def item_adapter(cls: type[BaseModel], name: str) -> TypeAdapter[Any]:
    return TypeAdapter(get_args(cls.model_fields[name].annotation)[0])


def unknown_field(base: str, key: Any, known: Sequence[str]) -> str:
    hint = ""
    if isinstance(key, str):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{base or '(root)'}: unknown field {key!r}{hint}"


def parse_fields(
    cls: type[BaseModel],
    raw: Mapping[Any, Any],
    base: str,
    errors: list[str],
    *,
    exclude: frozenset[str] = frozenset(),
    lists: frozenset[str] = frozenset(),
    check_unknown: bool = True,
) -> tuple[dict[str, Any], bool]:
    """Validate each field of ``cls`` in ``raw`` on its own.

    Returns (parsed values by field name, whether everything parsed). For the fields in
    ``lists`` a failed list still yields the items that parsed. Fields in ``exclude`` are left
    to the caller.
    """
    fields = cls.model_fields
    keys = {info.alias or name: name for name, info in fields.items()}
    complete = True
    if check_unknown:
        for key in raw:
            if key not in keys and key not in fields:
                errors.append(unknown_field(base, key, list(keys)))
                complete = False
    values: dict[str, Any] = {}
    for name, info in fields.items():
        if name in exclude:
            continue
        key = info.alias or name
        if key not in raw and name not in raw:
            if info.is_required():
                errors.append(f"{join(base, [key])}: field required")
                complete = False
            continue
        value = raw[key] if key in raw else raw[name]
        try:
            values[name] = field_adapter(cls, name).validate_python(value)
        except ValidationError as exc:
            complete = False
            errors.extend(messages(exc, value, join(base, [key]), field=key))
            if name in lists and isinstance(value, list):
                values[name] = [
                    x for x in (try_item(cls, name, v) for v in value) if x is not FAILED
                ]
    return values, complete


def try_item(cls: type[BaseModel], name: str, value: Any) -> Any:
    try:
        return item_adapter(cls, name).validate_python(value)
    except ValidationError:
        return FAILED
