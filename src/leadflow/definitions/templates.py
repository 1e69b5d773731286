"""Message templates: sandboxed Jinja2 with strict undefined variables.

Templates see the roots ``contact``, ``event``, ``context``, ``steps``, ``workflow``, ``run``,
``now`` and ``agent``. A missing variable is an error (never an empty string), but a variable
whose value is ``None`` renders as an empty string; write ``{{ contact.first_name or 'there' }}``
for a fallback. Text templates (:func:`render`) do not escape; :func:`render_html` escapes HTML.
Compiled templates are cached by source, so rendering the same body again costs no parsing.

Extra filters: ``first_word`` (``"Mary Ann" -> "Mary"``) and ``phone_pretty``
(``"+14155550123" -> "(415) 555-0123"``; other numbers are returned unchanged).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes

from leadflow.definitions.render_budget import (
    MAX_SEQUENCE,
    RenderLimitExceeded,
    RenderLimits,
    current,
    finish,
    start,
)
from leadflow.definitions.render_plain import Plan, fill, plain_plan
from leadflow.definitions.render_sandbox import MAX_EXPONENT, BudgetSandbox, guard_filter
from leadflow.definitions.template_static import costly_parts
from leadflow.errors import PermanentStepError
from leadflow.model.records import CONTACT_DERIVED, Contact

ROOTS = frozenset({"contact", "event", "context", "steps", "workflow", "run", "now", "agent"})
CONTACT_FIELDS = frozenset(f.name for f in dataclasses.fields(Contact)) | set(CONTACT_DERIVED)
# The attributes of the fixed roots a step gives a template (engine/context.py ``scope``).
ROOT_ATTRIBUTES = {
    "workflow": frozenset({"key", "name", "version"}),
    "run": frozenset({"id", "created_at"}),
    "agent": frozenset({"id"}),
}
CACHE_SIZE = 2048
DEFAULT_LIMITS = RenderLimits()
__all__ = [
    "MAX_EXPONENT",
    "MAX_SEQUENCE",
    "RenderLimits",
    "render",
    "render_html",
    "render_plain",
]


def first_word(value: Any) -> str:
    """The first whitespace-separated word of ``value`` ("" for None or blank)."""
    words = str(value).split() if value is not None else []
    return words[0] if words else ""


def phone_pretty(value: Any) -> str:
    """A North American number as ``(415) 555-0123``; anything else unchanged ("" for None)."""
    if value is None:
        return ""
    text = str(value)
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10 or re.fullmatch(r"[\d\s().+-]+", text) is None:
        return text
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if type(value) is not str:  # a list of a million references is not printed
        current().check_text(value, "an output value")
    return value


def _environment(autoescape: bool) -> BudgetSandbox:
    env = BudgetSandbox(
        undefined=StrictUndefined,
        autoescape=autoescape,
        finalize=_finalize,
        keep_trailing_newline=True,
    )
    env.filters["first_word"] = guard_filter("first_word", first_word)
    env.filters["phone_pretty"] = guard_filter("phone_pretty", phone_pretty)
    return env


_TEXT = _environment(autoescape=False)
_HTML = _environment(autoescape=True)
_GLOBALS = frozenset(_TEXT.globals)


@lru_cache(maxsize=CACHE_SIZE)
def _text_template(source: str) -> Template:
    return _TEXT.from_string(source)


@lru_cache(maxsize=CACHE_SIZE)
def _html_template(source: str) -> Template:
    return _HTML.from_string(source)


@lru_cache(maxsize=CACHE_SIZE)
def _text_plan(source: str) -> tuple[Plan, int] | None:
    return plain_plan(_TEXT, source)


def _template_line(exc: BaseException) -> int | None:
    """The template line the error happened at (Jinja puts template frames in tracebacks)."""
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _fail(exc: Exception) -> PermanentStepError:
    if isinstance(exc, TemplateError):
        detail = exc.message or type(exc).__name__
    else:
        detail = f"{type(exc).__name__}: {exc}"
    kind = "syntax error" if isinstance(exc, TemplateSyntaxError) else "error"
    line = _template_line(exc)
    where = f" at line {line}" if line is not None else ""
    return PermanentStepError(f"template {kind}{where}: {detail}")


def _render(
    source: str, variables: Mapping[str, Any], html: bool, limits: RenderLimits | None
) -> str:
    limits = limits or DEFAULT_LIMITS
    if not html:  # a plain text template is filled in without Jinja's runtime
        text = render_plain(source, variables, limits)
        if text is not None:
            return text
    token = start(limits)
    try:
        template = _html_template(source) if html else _text_template(source)
        return _generate(template, variables, limits)
    except Exception as exc:  # undefined, sandbox, limit, syntax, or an error inside a filter
        raise _fail(exc) from exc
    finally:
        finish(token)


def _generate(template: Template, variables: Mapping[str, Any], limits: RenderLimits) -> str:
    """The output, read piece by piece and refused as soon as it passes ``limits.max_chars``."""
    parts: list[str] = []
    size = 0
    try:
        for chunk in template.root_render_func(template.new_context(dict(variables))):
            size += len(chunk)
            if size > limits.max_chars:
                raise RenderLimitExceeded(
                    f"{limits.what} longer than {limits.max_chars} characters "
                    f"({limits.chars_setting})"
                )
            parts.append(chunk)
    except Exception:
        template.environment.handle_exception()  # the same error, with template line numbers
    return "".join(parts)


def render(source: str, variables: Mapping[str, Any], limits: RenderLimits | None = None) -> str:
    """Render a text template within ``limits`` (default :data:`DEFAULT_LIMITS`); any problem,
    a passed limit included, raises :class:`PermanentStepError`."""
    return _render(source, variables, False, limits)


def render_plain(
    source: str, variables: Mapping[str, Any], limits: RenderLimits | None = None
) -> str | None:
    """What :func:`render` gives for a plain template (text and lookups of strings, see
    :mod:`.render_plain`) whose every name ``variables`` holds; None for any other template
    (render it with :func:`render`)."""
    plain = _text_plan(source)
    if plain is None:
        return None
    return fill(plain[0], plain[1], variables, limits or DEFAULT_LIMITS)


def render_html(
    source: str, variables: Mapping[str, Any], limits: RenderLimits | None = None
) -> str:
    """Render an HTML template (values are escaped); problems raise :class:`PermanentStepError`."""
    return _render(source, variables, True, limits)


def _contact_attribute(node: nodes.Node, root: str = "contact") -> str | None:
    """``X`` for ``contact.X`` / ``contact['X']`` (or another ``root``), else None."""
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        target = node.node
        if isinstance(target, nodes.Name) and target.name == root:
            if isinstance(node, nodes.Getattr):
                return str(node.attr)
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                return arg.value
    return None


def _first_line(ast: nodes.Template, name: str) -> int:
    for node in ast.find_all(nodes.Name):
        if node.name == name:
            return int(node.lineno)
    return 1


def _undeclared(ast: nodes.Template) -> set[str]:
    """Names the template reads but does not define itself."""
    try:
        return set(meta.find_undeclared_variables(ast))
    except TemplateSyntaxError:  # e.g. an unknown filter, reported separately
        stored = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
        return {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"} - stored


def _root_problems(
    ast: nodes.Template, undeclared: set[str], path: str, node_ids: frozenset[str] | None
) -> list[str]:
    """``workflow.nmae``, ``agent.nmae``, ``run.x``; ``steps.<id>`` of a node that is not in
    the workflow (when the workflow's node ids are known)."""
    problems: list[str] = []
    for access in ast.find_all((nodes.Getattr, nodes.Getitem)):
        for root, known in ROOT_ATTRIBUTES.items():
            attr = _contact_attribute(access, root) if root in undeclared else None
            if attr is not None and attr not in known:
                problems.append(
                    f"{path}: unknown {root} attribute {attr!r} at line {access.lineno}; "
                    f"known: {', '.join(sorted(known))}"
                )
        step = _contact_attribute(access, "steps") if "steps" in undeclared else None
        if step is not None and node_ids is not None and step not in node_ids:
            problems.append(
                f"{path}: steps.{step} at line {access.lineno} names no node of this workflow; "
                f"nodes: {', '.join(sorted(node_ids))}"
            )
    return problems


def template_problems(source: str, path: str, node_ids: frozenset[str] | None = None) -> list[str]:
    """Static problems in a template, each as ``"<path>: <problem>"`` (``node_ids``: the
    workflow's nodes, which ``steps.<id>`` must name)."""
    try:
        ast = _TEXT.parse(source)
    except TemplateSyntaxError as exc:
        return [f"{path}: template syntax error at line {exc.lineno}: {exc.message}"]
    problems: list[str] = []
    undeclared = _undeclared(ast)
    for name in sorted(undeclared - ROOTS - _GLOBALS):
        line = _first_line(ast, name)
        problems.append(
            f"{path}: unknown variable {name!r} at line {line}; "
            f"available: {', '.join(sorted(ROOTS))}"
        )
    if "contact" in undeclared:
        for access in ast.find_all((nodes.Getattr, nodes.Getitem)):
            attr = _contact_attribute(access)
            if attr is not None and attr not in CONTACT_FIELDS:
                problems.append(
                    f"{path}: unknown contact field {attr!r} at line {access.lineno}; known: "
                    f"{', '.join(sorted(CONTACT_FIELDS))} (custom fields are contact.fields.<name>)"
                )
    problems += _root_problems(ast, undeclared, path, node_ids)
    for call in ast.find_all((nodes.Filter, nodes.Test)):
        is_filter = isinstance(call, nodes.Filter)
        if call.name not in (_TEXT.filters if is_filter else _TEXT.tests):
            what = "filter" if is_filter else "test"
            problems.append(f"{path}: unknown {what} {call.name!r} at line {call.lineno}")
    for load in ast.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
        problems.append(
            f"{path}: {type(load).__name__.lower()} at line {load.lineno} is not supported "
            f"(templates cannot load other templates)"
        )
    for line, problem in costly_parts(ast):
        problems.append(f"{path}: template too costly at line {line}: {problem}")
    if not problems:
        try:
            _text_template(source)
        except TemplateSyntaxError as exc:
            problems.append(f"{path}: template error at line {exc.lineno}: {exc.message}")
    return problems
