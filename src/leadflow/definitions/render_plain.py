"""Plain templates rendered without Jinja's runtime: text and ``{{ name }}`` /
``{{ root.field.sub }}`` lookups of strings, nothing else.

Most message bodies are such templates (``Hi {{ contact.first_name }}``). Setting up a Jinja
render (a context, a budget, a generator) costs far more than filling one in, so a plain
template is read once (:func:`plain_plan`, from Jinja's own parse, whitespace control and
newlines already applied) and filled in directly (:func:`fill`). The result is the one the
sandbox would give; whenever it might not be -- a name that is missing, a value that is not a
plain ``dict`` on the way or not a ``str`` (or None) at the end, a limit that could come near --
:func:`fill` returns None and the caller renders through Jinja, which gives the answer or the
error itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, nodes

from leadflow.definitions.render_budget import CLOCK_EVERY, RenderLimits

# A piece of output: literal text (a str), or a lookup: the root name and the fields after it.
Lookup = tuple[str, tuple[str, ...]]
Plan = tuple[str | Lookup, ...]
_DICT_ATTRS = frozenset(dir({}))  # the sandbox reads an attribute before the item of that name
# Names Jinja's compiler gives a meaning of its own, whatever the variables hold.
_SPECIAL = frozenset({"self", "super", "loop", "caller", "varargs", "kwargs"})


def plain_plan(env: Environment, source: str) -> tuple[Plan, int] | None:
    """The pieces of ``source`` and the budget steps the sandbox would charge rendering it, or
    None when it is not plain (or not valid)."""
    try:
        ast = env.parse(source)
    except Exception:  # a syntax error (or worse): the sandbox reports it
        return None
    if not ast.body:
        return (), 0
    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output):
        return None
    pieces: list[str | Lookup] = []
    steps = 0
    for node in ast.body[0].nodes:
        steps += 1  # each output piece
        if isinstance(node, nodes.TemplateData):
            pieces.append(node.data)
            continue
        path: list[str] = []
        while isinstance(node, nodes.Getattr):
            if node.attr in _DICT_ATTRS or node.attr.startswith("_"):
                return None
            path.append(node.attr)
            node = node.node
        if not isinstance(node, nodes.Name) or node.ctx != "load" or node.name in _SPECIAL:
            return None
        steps += len(path)  # each attribute read
        pieces.append((node.name, tuple(reversed(path))))
    return tuple(pieces), steps


def fill(plan: Plan, steps: int, variables: Mapping[str, Any], limits: RenderLimits) -> str | None:
    """``plan`` filled in from ``variables``; None when the sandbox must decide."""
    if steps >= CLOCK_EVERY or steps > limits.max_steps:
        return None
    out: list[str] = []
    for piece in plan:
        if isinstance(piece, str):
            out.append(piece)
            continue
        root, path = piece
        value = variables.get(root, _MISSING)
        for name in path:
            if type(value) is not dict or name not in value:
                return None
            value = value[name]
        if value is None:
            continue
        if type(value) is not str:
            return None
        out.append(value)
    text = "".join(out)
    return text if len(text) <= limits.max_chars else None


_MISSING = object()


__all__ = ["Plan", "fill", "plain_plan"]
