"""Templates that are obviously too costly, found without rendering them (at validation):
``'x' * 100000000``, ``range(10**9)``, ``'x'|center(10**9)``, ``9 ** 99999``. The runtime
limits (:mod:`.render_budget`) are the real guard; this only says so before publishing."""

from __future__ import annotations

from jinja2 import nodes
from jinja2.sandbox import MAX_RANGE

from leadflow.definitions.render_budget import MAX_SEQUENCE
from leadflow.definitions.render_sandbox import MAX_EXPONENT

_WIDTH_FILTERS = frozenset({"center", "indent", "batch", "slice"})


def _number(node: nodes.Expr) -> int | float | None:
    """The value of a constant numeric expression (``10**9`` included), else None."""
    try:
        value = node.as_const()
    except Exception:  # not constant (intercepted operators are not folded either)
        value = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(node, nodes.Pow):
        base, power = _number(node.left), _number(node.right)
        if base is not None and power is not None and abs(power) <= 64 and abs(base) <= 1e6:
            return float(base) ** power
    if isinstance(node, nodes.Mul):
        left, right = _number(node.left), _number(node.right)
        if left is not None and right is not None:
            return float(left) * right
    return None


def costly_parts(ast: nodes.Template) -> list[tuple[int, str]]:
    """(line, problem) for each obviously costly expression of a parsed template."""
    found: list[tuple[int, str]] = []
    for mul in ast.find_all(nodes.Mul):
        for side in (mul.left, mul.right):
            n = _number(side)
            if n is not None and n > MAX_SEQUENCE:
                found.append(
                    (mul.lineno, f"repeats something {n:.0f} times (most: {MAX_SEQUENCE})")
                )
    for power in ast.find_all(nodes.Pow):
        n = _number(power.right)
        if n is not None and abs(n) > MAX_EXPONENT:
            found.append((power.lineno, f"exponent {n:.0f} is more than {MAX_EXPONENT}"))
    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "range":
            for arg in call.args:
                n = _number(arg)
                if n is not None and abs(n) > MAX_RANGE:
                    found.append((call.lineno, f"range() of {n:.0f} (most: {MAX_RANGE} items)"))
    for flt in ast.find_all(nodes.Filter):
        if flt.name in _WIDTH_FILTERS:
            for arg in [*flt.args, *(k.value for k in flt.kwargs)]:
                n = _number(arg)
                if n is not None and n > MAX_SEQUENCE:
                    found.append((flt.lineno, f"{flt.name}({n:.0f}) (most: {MAX_SEQUENCE})"))
    return found
