"""The template sandbox, charging every render's :class:`~.render_budget.RenderBudget`.

Jinja's immutable sandbox keeps templates away from Python; this adds limits on the work they
may do. The code generator routes loop iterables, ``~`` concatenations and every output piece
through the environment (``lf_iter``, ``lf_concat``, ``lf_out``); the environment's hooks
(calls, attribute reads, operators) count steps and refuse values that would be too large
before they exist; filters are wrapped to do the same (``center``, ``indent``, ``replace``,
``wordwrap``, ``format``, ``join``, ``batch``, ``slice``, ``sum``...); methods of builtin
values are limited to a harmless list (``'x'.center(10**9)``, ``(1).to_bytes(10**9)`` are
refused).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg, generate_lorem_ipsum

from leadflow.definitions.render_budget import (
    MAX_SEQUENCE,
    RenderBudget,
    RenderLimitExceeded,
    check_format,
    check_int,
    check_percent,
    current,
)

MAX_EXPONENT = 1_000

# Methods of builtin values a template may call; others are refused (to_bytes, translate,
# expandtabs, encode...). The sized ones are checked first.
_SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        [
            "lower",
            "upper",
            "title",
            "capitalize",
            "casefold",
            "swapcase",
            "strip",
            "lstrip",
            "rstrip",
            "split",
            "rsplit",
            "splitlines",
            "startswith",
            "endswith",
            "find",
            "rfind",
            "index",
            "rindex",
            "count",
            "partition",
            "rpartition",
            "removeprefix",
            "removesuffix",
            "isdigit",
            "isalpha",
            "isalnum",
            "isspace",
            "islower",
            "isupper",
            "istitle",
            "isnumeric",
            "isdecimal",
            "isascii",
            "center",
            "ljust",
            "rjust",
            "zfill",
            "replace",
            "join",
            "format",
            "format_map",
        ]
    ),
    int: frozenset({"bit_length", "conjugate", "is_integer"}),
    float: frozenset({"is_integer", "conjugate"}),
    list: frozenset({"count", "index", "copy"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values", "copy"}),
}
_BUILTIN_TYPES = (str, int, float, list, tuple, dict, bytes, set, frozenset)


def _width(value: Any) -> int:
    return len(value) if isinstance(value, str) else int(value)


def _sized_method(budget: RenderBudget, owner: str, name: str, args: Any, kwargs: Any) -> None:
    if name in ("center", "ljust", "rjust", "zfill") and args:
        budget.too_long(max(len(owner), _width(args[0])), f"str.{name}()")
    elif name == "replace" and len(args) >= 2:
        _check_replace(budget, owner, args[0], args[1], args[2] if len(args) > 2 else -1)
    elif name == "join" and args:
        _check_join(budget, owner, args[0])
    elif name == "format":
        check_format(budget, owner, args, kwargs)
    elif name == "format_map" and args:
        check_format(budget, owner, (), args[0])


def _check_replace(budget: RenderBudget, s: str, old: Any, new: Any, count: Any) -> None:
    s, old, new = str(s), str(old), str(new)
    found = len(s) + 1 if old == "" else s.count(old)
    if count is not None and int(count) >= 0:
        found = min(found, int(count))
    budget.too_long(len(s) + found * max(0, len(new) - len(old)), "a replace() result")


def _check_join(budget: RenderBudget, sep: str, items: Any) -> list[Any]:
    listed = list(_ticking(budget, items))
    size = len(str(sep)) * len(listed)
    for item in listed:
        size += len(item) if type(item) is str else budget.text_size(item)
        if size > budget.value_chars:
            break
    budget.too_long(size, "a joined string")
    return listed


def _ticking(budget: RenderBudget, iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        budget.tick()
        yield item


_SIZED = frozenset({"center", "ljust", "rjust", "zfill", "replace", "join", "format", "format_map"})


def _guard_method(value: Any) -> Any:
    """A builtin value's bound method: allowed, wrapped with its size check, or refused. (The
    sandbox hands out ``str.format`` as a wrapper; ``__wrapped__`` is the method.)"""
    method = getattr(value, "__wrapped__", value)
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, _BUILTIN_TYPES) or not isinstance(
        method, types.BuiltinMethodType | types.MethodType
    ):
        return value
    name = method.__name__
    allowed = next((names for t, names in _SAFE_METHODS.items() if isinstance(owner, t)), None)
    if allowed is None or name not in allowed:
        raise SecurityError(f"{type(owner).__name__}.{name}() is not allowed in templates")
    if not isinstance(owner, str) or name not in _SIZED:
        return value

    def sized(*args: Any, **kwargs: Any) -> Any:
        _sized_method(current(), owner, name, args, kwargs)
        return value(*args, **kwargs)

    return sized


class BudgetCodeGenerator(CodeGenerator):
    """Routes loops, ``~`` and output through the environment, which charges the budget."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not getattr(node, "_lf_guarded", False):
            node.iter = nodes.Call(
                nodes.EnvironmentAttribute("lf_iter"),
                [node.iter],
                [],
                None,
                None,
                lineno=node.lineno,
            )
            node._lf_guarded = True  # type: ignore[attr-defined]
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.lf_concat({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.lf_out({super()._output_const_repr(group)})"

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write("environment.lf_out(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        super()._output_child_post(node, frame, finalize)
        self.write(")")


class BudgetSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox charging the render budget (see the module docstring)."""

    code_generator_class = BudgetCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name, func in list(self.filters.items()):
            self.filters[name] = guard_filter(name, func)
        self.globals["lipsum"] = _lipsum

    # -------------------------------------------------------------- generated-code hooks
    def lf_iter(self, iterable: Any) -> Iterator[Any]:
        budget = current()
        budget.tick()
        return _ticking(budget, iterable)

    def lf_concat(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]) -> str:
        budget = current()
        budget.tick()
        size = 0
        for part in parts:
            size += len(part) if type(part) is str else budget.text_size(part)
        budget.too_long(size, "a ~ concatenation")
        return join(parts)

    def lf_out(self, text: str) -> str:
        budget = current()
        budget.tick()
        budget.wrote(len(text))
        return text

    # -------------------------------------------------------------- sandbox hooks
    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        current().tick()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        current().tick()
        return _guard_method(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        current().tick()
        return _guard_method(super().getitem(obj, argument))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = current()
        budget.tick()
        if operator == "**" and isinstance(right, int | float):
            if abs(right) > MAX_EXPONENT:
                raise SecurityError(f"exponent {right!r} is too large")
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                check_int(budget, left.bit_length() * right)
        elif operator == "*":
            _check_times(budget, left, right)
        elif operator == "+":
            _check_plus(budget, left, right)
        elif operator == "%" and isinstance(left, str):
            check_percent(budget, left, right)
        return super().call_binop(context, operator, left, right)


def _check_times(budget: RenderBudget, left: Any, right: Any) -> None:
    for seq, count in ((left, right), (right, left)):
        if isinstance(count, int) and not isinstance(count, bool):
            if isinstance(seq, str):
                budget.too_long(len(seq) * count, "a repeated string")
            elif isinstance(seq, list | tuple):
                if len(seq) * count > MAX_SEQUENCE:
                    raise RenderLimitExceeded(f"a list longer than {MAX_SEQUENCE} items")
                budget.too_long(budget.text_size(seq) * count, "a repeated list")
    if isinstance(left, int) and isinstance(right, int):
        check_int(budget, left.bit_length() + right.bit_length())


def _check_plus(budget: RenderBudget, left: Any, right: Any) -> None:
    if isinstance(left, str) and isinstance(right, str):
        budget.too_long(len(left) + len(right), "a + concatenation")
    elif (
        isinstance(left, list | tuple)
        and isinstance(right, list | tuple)
        and len(left) + len(right) > MAX_SEQUENCE
    ):
        raise RenderLimitExceeded(f"a list longer than {MAX_SEQUENCE} items")


# ---------------------------------------------------------------------------- filters
_STRUCTURAL = frozenset(
    [
        "attr",
        "batch",
        "count",
        "d",
        "default",
        "dictsort",
        "first",
        "groupby",
        "items",
        "join",
        "last",
        "length",
        "list",
        "map",
        "max",
        "min",
        "random",
        "reject",
        "rejectattr",
        "reverse",
        "select",
        "selectattr",
        "slice",
        "sort",
        "sum",
        "unique",
    ]
)


def _arg(args: tuple[Any, ...], kwargs: dict[str, Any], i: int, name: str, default: Any) -> Any:
    return args[i] if len(args) > i else kwargs.get(name, default)


def _check_filter(
    name: str, budget: RenderBudget, args: tuple[Any, ...], kw: dict[str, Any]
) -> None:
    value = args[0] if args else None
    text = value if isinstance(value, str) else ""
    if name == "center":
        budget.too_long(max(len(text), _width(_arg(args, kw, 1, "width", 80))), "center()")
    elif name == "indent":
        width = _width(_arg(args, kw, 1, "width", 4))
        budget.too_long(len(text) + (text.count("\n") + 1) * width, "indent()")
    elif name == "wordwrap":
        wrap = _arg(args, kw, 3, "wrapstring", None) or "\n"
        budget.too_long(len(text) * (1 + len(str(wrap))), "wordwrap()")
    elif name == "replace":
        _check_replace(
            budget,
            text,
            _arg(args, kw, 1, "old", ""),
            _arg(args, kw, 2, "new", ""),
            _arg(args, kw, 3, "count", None),
        )
    elif name == "format":
        check_percent(budget, text, kw or tuple(args[1:]))
    elif name == "urlize":
        extra = len(str(_arg(args, kw, 3, "target", "") or "")) + len(
            str(_arg(args, kw, 4, "rel", "") or "")
        )
        budget.too_long(len(text) * (4 + extra // 8 + 1), "urlize()")
    elif name == "tojson":
        indent = _arg(args, kw, 1, "indent", None) or 0
        budget.too_long(budget.text_size(value) * (1 + int(indent)), "tojson()")
    elif name in ("batch", "slice"):
        count = _arg(args, kw, 1, "linecount" if name == "batch" else "slices", 1)
        if int(count) > MAX_SEQUENCE:
            raise RenderLimitExceeded(f"{name}() of more than {MAX_SEQUENCE}")


def guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    lead = 1 if _PassArg.from_obj(func) is not None else 0
    stringifies = name not in _STRUCTURAL

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = current()
        budget.tick()
        own = args[lead:]
        if stringifies and own and not isinstance(own[0], str | int | float | type(None)):
            budget.check_text(own[0])
        if name == "join" and own:
            args = (
                *args[:lead],
                _check_join(budget, kwargs.get("d", own[1] if len(own) > 1 else ""), own[0]),
                *own[1:],
            )
        elif name == "sum" and own:
            return _sum(budget, args[:lead], own, kwargs, func)
        else:
            _check_filter(name, budget, own, kwargs)
        return func(*args, **kwargs)

    return guarded


def _sum(
    budget: RenderBudget,
    lead: tuple[Any, ...],
    own: tuple[Any, ...],
    kwargs: dict[str, Any],
    func: Callable[..., Any],
) -> Any:
    """``sum``, each addition charged and checked (a sum of lists cannot grow past the limit)."""
    items = list(_ticking(budget, own[0]))
    start = _arg(own, kwargs, 2, "start", 0)
    total = start
    attribute = _arg(own, kwargs, 1, "attribute", None)
    if attribute is not None:
        return func(*lead, items, *own[1:], **kwargs)
    for item in items:
        budget.tick()
        _check_plus(budget, total, item)
        total = total + item
    return total


def _lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    budget = current()
    budget.too_long(int(n) * int(max) * 12, "lipsum()")
    return str(generate_lorem_ipsum(n, html, min, max))
