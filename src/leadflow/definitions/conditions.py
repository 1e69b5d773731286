"""Condition trees compiled once into plain closures for the engine's hot path.

:func:`compile_condition` turns a condition (model or dict) into ``predicate(scope) -> bool``.
``scope`` maps the roots ``contact``, ``event``, ``context`` and ``steps`` to nested dicts; a
dotted ``field`` walks dicts, and list indexes when a segment is a number (``event.data.items.0``).

Semantics (a predicate never raises):

* A field whose value is ``None`` counts as missing, for every operator.
* ``eq`` / ``ne``: strings compare case-insensitively; numbers numerically (``1 == 1.0``);
  booleans only equal booleans; a string never equals a number. Missing: ``eq`` is False, ``ne``
  True. ``eq null`` means "missing" and ``ne null`` means "present".
* ``gt`` / ``gte`` / ``lt`` / ``lte``: a number value compares with numeric fields, a string
  value with string fields (as plain strings, so ISO dates and times order correctly). Missing or
  of another type: False.
* ``in``: ``value`` is a list; the field's value equals one of its items (as for ``eq``).
* ``contains``: a list field holds an item equal to ``value`` (as for ``eq``); a string field
  contains the string ``value`` (case-insensitive); a mapping field has the key ``value``.
* ``exists``: ``value`` true (the default) or false; ``None`` counts as missing.
* ``between``: ``value`` is ``[low, high]``, inclusive, numbers or strings as for ``gt``.
* ``changed`` (``contact.`` fields only): the field's value differs from its value when the
  run entered the workflow, its *baseline*. The engine keeps the baseline of each path a
  ``changed`` leaf names in the run context (``ENTERED``, exposed in the scope under the same
  key). Two values are the same under the ``eq`` rules (so ``FL`` -> ``fl`` is no change);
  missing and ``None`` are the same; missing -> present and present -> missing are changes.
  ``value: {from: a, to: b}`` (either key or both) further requires the baseline to equal ``a``
  and the current value to equal ``b`` (``null`` means missing). No baseline for the path
  (a scope outside a run): False.
* ``all: []`` is True, ``any: []`` is False.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter

from leadflow.definitions.conditions_model import FIELD_ROOTS, All, AnyOf, Compare, Condition, Not
from leadflow.model.records import CONTACT_DERIVED, Contact

Predicate = Callable[[Mapping[str, Any]], bool]
Getter = Callable[[Mapping[str, Any]], Any]

CONTACT_FIELDS = frozenset(f.name for f in dataclasses.fields(Contact)) | set(CONTACT_DERIVED)
_ADAPTER: TypeAdapter[Condition] = TypeAdapter(Condition)
_MISSING: Any = object()
# Run-context key (and scope root) of the baseline: {"contact.<path>": value at enrollment}.
ENTERED = "_entered"
CHANGED_KEYS = frozenset({"from", "to"})


def _always_false(scope: Mapping[str, Any]) -> bool:
    return False


def _as_condition(cond: Condition | Mapping[str, Any]) -> Condition:
    if isinstance(cond, All | AnyOf | Not | Compare):
        return cond
    return _ADAPTER.validate_python(cond)


# ---------------------------------------------------------------- field paths


def _getter(path: str) -> Getter:
    """``scope -> value`` at ``path``; ``_MISSING`` when absent or ``None``."""
    parts = tuple((p, int(p) if p.isascii() and p.isdigit() else None) for p in path.split("."))

    def get(scope: Mapping[str, Any]) -> Any:
        cur: Any = scope
        for key, index in parts:
            if type(cur) is dict or isinstance(cur, Mapping):
                cur = cur.get(key, _MISSING)
            elif index is not None and isinstance(cur, list | tuple):
                cur = cur[index] if index < len(cur) else _MISSING
            else:
                return _MISSING
            if cur is None or cur is _MISSING:
                return _MISSING
        return cur

    return get


# ---------------------------------------------------------------- value tests


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _equals(target: Any) -> Callable[[Any], bool]:
    """``value -> bool``: equal to ``target`` under the ``eq`` rules (value never missing)."""
    if isinstance(target, str):
        folded = target.casefold()
        return lambda v: isinstance(v, str) and v.casefold() == folded
    if isinstance(target, bool):
        return lambda v: v is target
    if _is_number(target):
        return lambda v: _is_number(v) and v == target

    def other(v: Any) -> bool:
        try:
            return bool(type(v) is type(target) and v == target)
        except Exception:
            return False

    return other


def _member_of(items: Sequence[Any]) -> Callable[[Any], bool]:
    strings = frozenset(i.casefold() for i in items if isinstance(i, str))
    numbers = frozenset(i for i in items if _is_number(i))
    bools = frozenset(i for i in items if isinstance(i, bool))
    others = [_equals(i) for i in items if i is not None and not isinstance(i, str | int | float)]

    def test(v: Any) -> bool:
        if isinstance(v, str):
            return v.casefold() in strings
        if isinstance(v, bool):
            return v in bools
        if _is_number(v):
            return v in numbers
        return any(eq(v) for eq in others)

    return test


def _ordered(op: str, target: Any) -> Callable[[Any], bool] | None:
    if _is_number(target):
        same: Callable[[Any], bool] = _is_number
    elif isinstance(target, str):
        same = lambda v: isinstance(v, str)  # noqa: E731
    else:
        return None
    if op == "gt":
        return lambda v: same(v) and v > target
    if op == "gte":
        return lambda v: same(v) and v >= target
    if op == "lt":
        return lambda v: same(v) and v < target
    return lambda v: same(v) and v <= target


def _between(value: Any) -> Callable[[Any], bool] | None:
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    low, high = value
    if _is_number(low) and _is_number(high):
        return lambda v: _is_number(v) and low <= v <= high
    if isinstance(low, str) and isinstance(high, str):
        return lambda v: isinstance(v, str) and low <= v <= high
    return None


def _contains(target: Any) -> Callable[[Any], bool]:
    eq = _equals(target)
    folded = target.casefold() if isinstance(target, str) else None

    def test(v: Any) -> bool:
        if isinstance(v, str):
            return folded is not None and folded in v.casefold()
        if isinstance(v, list | tuple):
            return any(eq(item) for item in v)
        if isinstance(v, Mapping):
            try:
                return target in v
            except TypeError:
                return False
        return False

    return test


# ---------------------------------------------------------------- compiling


def _value_test(op: str, value: Any) -> Callable[[Any], bool] | None:
    """``value -> bool`` for a present field value; None when the condition can never hold."""
    if op == "eq":
        return _equals(value)
    if op == "in":
        return _member_of(value if isinstance(value, list | tuple) else [value])
    if op == "contains":
        return _contains(value)
    if op == "between":
        return _between(value)
    return _ordered(op, value)


def _compile_compare(c: Compare) -> Predicate:
    if c.op == "changed":
        return _compile_changed(c)
    get = _getter(c.field)
    op, value = c.op, c.value
    if op == "exists" or (op in ("eq", "ne") and value is None):
        want = value is not False if op == "exists" else op == "ne"
        return lambda s: (get(s) is not _MISSING) is want
    if op == "ne":
        eq = _equals(value)
        return lambda s: (v := get(s)) is _MISSING or not eq(v)
    test = _value_test(op, value)
    if test is None:
        return _always_false
    check = test
    return lambda s: (v := get(s)) is not _MISSING and check(v)


def _same(a: Any, b: Any) -> bool:
    """Two field values (``_MISSING`` for absent) are equal under the ``eq`` rules."""
    if a is _MISSING or b is _MISSING:
        return a is b
    return _equals(a)(b)


def _transition_end(value: Any, key: str) -> Callable[[Any], bool]:
    if not isinstance(value, Mapping) or key not in value:
        return lambda v: True
    want = value[key]
    if want is None:
        return lambda v: v is _MISSING
    eq = _equals(want)
    return lambda v: v is not _MISSING and eq(v)


def _compile_changed(c: Compare) -> Predicate:
    get = _getter(c.field)
    path = c.field
    was_ok = _transition_end(c.value, "from")
    now_ok = _transition_end(c.value, "to")

    def changed(s: Mapping[str, Any]) -> bool:
        entered = s.get(ENTERED)
        if not isinstance(entered, Mapping) or path not in entered:
            return False  # no baseline: nothing to compare with
        was = entered[path]
        was = _MISSING if was is None else was
        now = get(s)
        return not _same(was, now) and was_ok(was) and now_ok(now)

    return changed


def _compile(cond: Condition) -> Predicate:
    if isinstance(cond, Compare):
        return _compile_compare(cond)
    if isinstance(cond, Not):
        inner = _compile(cond.not_)
        return lambda s: not inner(s)
    children = tuple(_compile(c) for c in (cond.all if isinstance(cond, All) else cond.any))
    if len(children) == 1:
        return children[0]
    if isinstance(cond, All):
        return lambda s: all(p(s) for p in children)
    return lambda s: any(p(s) for p in children)


def compile_condition(cond: Condition | Mapping[str, Any]) -> Predicate:
    """Compile ``cond`` (a model, or a dict in the YAML shape) into ``predicate(scope) -> bool``.

    All parsing happens here, once; the predicate only walks dicts and compares values.
    """
    return _compile(_as_condition(cond))


def evaluate(cond: Condition | Mapping[str, Any], scope: Mapping[str, Any]) -> bool:
    """Compile and evaluate once (convenience; the engine keeps compiled predicates)."""
    return compile_condition(cond)(scope)


# ---------------------------------------------------------------- static checks


def _leaves(cond: Condition) -> list[tuple[str, Compare]]:
    """(relative path, leaf) for every comparison in ``cond``."""
    if isinstance(cond, Compare):
        return [("", cond)]
    if isinstance(cond, Not):
        return [(f".not{p}", leaf) for p, leaf in _leaves(cond.not_)]
    key, items = ("all", cond.all) if isinstance(cond, All) else ("any", cond.any)
    return [(f".{key}[{i}]{p}", leaf) for i, c in enumerate(items) for p, leaf in _leaves(c)]


def condition_fields(cond: Condition | Mapping[str, Any]) -> set[str]:
    """Every field path the condition reads."""
    return {leaf.field for _, leaf in _leaves(_as_condition(cond))}


def changed_fields(cond: Condition | Mapping[str, Any]) -> set[str]:
    """The field paths of the condition's ``changed`` leaves (the baselines a run keeps)."""
    return {leaf.field for _, leaf in _leaves(_as_condition(cond)) if leaf.op == "changed"}


def baseline(paths: Iterable[str], contact: Mapping[str, Any]) -> dict[str, Any]:
    """``{path: value}`` of each ``contact.`` path in ``contact`` (a contact's ``as_dict``);
    ``None`` for a missing value. Stored in the run context under :data:`ENTERED`."""
    scope = {"contact": contact}
    out: dict[str, Any] = {}
    for path in sorted(paths):
        value = _getter(path)(scope)
        out[path] = None if value is _MISSING else value
    return out


def _changed_problems(c: Compare) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    parts = c.field.split(".")
    if parts[0] != "contact" or len(parts) < 2:
        out.append(
            (
                "field",
                f"'changed' compares a contact field with its value when the run entered the "
                f"workflow, so its field must be contact.<name>, got {c.field!r}",
            )
        )
    v = c.value
    if v is None:
        return out
    if not isinstance(v, Mapping) or not v or set(v) - CHANGED_KEYS:
        out.append(
            (
                "value",
                f"'changed' takes no value, or {{from: <value>, to: <value>}} (either key or "
                f"both), got {v!r}",
            )
        )
    return out


def _leaf_problems(c: Compare) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    parts = c.field.split(".")
    if parts[0] not in FIELD_ROOTS:
        out.append(
            (
                "field",
                f"field {c.field!r} must start with one of {', '.join(FIELD_ROOTS)} "
                f"(e.g. contact.state, event.data.source)",
            )
        )
    elif parts[0] == "contact" and len(parts) > 1 and parts[1] not in CONTACT_FIELDS:
        out.append(
            (
                "field",
                f"unknown contact field {parts[1]!r}; known: {', '.join(sorted(CONTACT_FIELDS))}"
                f" (custom fields are contact.fields.<name>)",
            )
        )
    if c.op == "changed":
        return out + _changed_problems(c) if parts[0] in FIELD_ROOTS else out
    v = c.value
    if c.op == "between":
        if not isinstance(v, list) or len(v) != 2:
            out.append(("value", f"'between' needs a list of two values [low, high], got {v!r}"))
        elif _between(v) is None:
            out.append(("value", f"'between' needs two numbers or two strings, got {v!r}"))
    elif c.op == "in" and not isinstance(v, list):
        out.append(("value", f"'in' needs a list of values, got {v!r}"))
    elif c.op in ("gt", "gte", "lt", "lte") and not (_is_number(v) or isinstance(v, str)):
        out.append(("value", f"{c.op!r} needs a number or a string, got {v!r}"))
    elif c.op == "exists" and v is not None and not isinstance(v, bool):
        out.append(("value", f"'exists' takes true or false, got {v!r}"))
    return out


def condition_problems(cond: Condition | Mapping[str, Any], path: str) -> list[str]:
    """Static problems in ``cond``, each as ``"<path>.<where>: <problem>"``."""
    return [
        f"{path}{rel}.{where}: {problem}"
        for rel, leaf in _leaves(_as_condition(cond))
        for where, problem in _leaf_problems(leaf)
    ]
