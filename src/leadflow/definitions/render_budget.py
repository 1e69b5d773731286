"""What one template render may cost: output size, steps, CPU time, and the size of the values
it builds on the way.

A render runs with a :class:`RenderBudget` (in a context variable, so each thread and each
render has its own). The sandbox (:mod:`.render_sandbox`) charges it: every loop iteration,
call, attribute read, operator, filter and output piece is a *step*; every piece written (to the
output or to a macro / ``set`` block buffer) is counted; every string a template builds is
checked *before* it is built (``'x' * n``, ``~``, ``+``, ``%``, ``center``, ``replace``...).
Whatever is passed first raises :class:`RenderLimitExceeded`, naming the limit and the setting
that sets it. Nothing is ever built and then measured, so a 60-byte template cannot make 20 MB.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from string import Formatter
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.utils import Namespace

MAX_SEQUENCE = 100_000  # items a list built by ``*`` / ``+`` may have, and the least value size
MAX_INT_BITS = 100_000  # size of an integer built by ``*`` / ``**`` (about 30,000 digits)
CLOCK_EVERY = 32  # steps between two looks at the CPU clock (a step is bounded in size)
WRITTEN_FACTOR = 4  # characters written anywhere (output, buffers) per character of value limit


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """Limits of one render. ``what`` names the rendered part in errors ("SMS body");
    ``chars_setting`` is the setting that sets ``max_chars``."""

    max_chars: int = 100_000
    max_steps: int = 100_000
    max_cpu_s: float = 0.25
    what: str = "text"
    chars_setting: str = "LEADFLOW_RENDER_MAX_CHARS"

    def value_chars(self) -> int:
        """Longest string a template may build on the way (never less than the output)."""
        return max(self.max_chars, MAX_SEQUENCE)


class RenderLimitExceeded(SecurityError):
    """A render passed one of its limits."""


@dataclass(slots=True)
class RenderBudget:
    limits: RenderLimits
    deadline: float = 0.0
    steps: int = 0
    written: int = 0
    value_chars: int = field(init=False)
    max_written: int = field(init=False)
    next_clock: int = field(init=False)  # the step count at which limits are looked at next

    def __post_init__(self) -> None:
        self.next_clock = min(CLOCK_EVERY, self.limits.max_steps + 1)
        self.value_chars = self.limits.value_chars()
        self.max_written = WRITTEN_FACTOR * self.value_chars

    def tick(self, n: int = 1) -> None:
        self.steps += n
        if self.steps < self.next_clock:
            return
        self.next_clock = min(self.steps + CLOCK_EVERY, self.limits.max_steps + 1)
        if self.steps > self.limits.max_steps:
            raise RenderLimitExceeded(
                f"{self.limits.what}: more than {self.limits.max_steps} template steps "
                "(LEADFLOW_RENDER_MAX_STEPS)"
            )
        now = time.thread_time()
        if not self.deadline:  # the clock starts at the first look: short renders never read it
            self.deadline = now + self.limits.max_cpu_s
        elif now > self.deadline:
            ms = round(self.limits.max_cpu_s * 1000)
            raise RenderLimitExceeded(
                f"{self.limits.what}: rendering took more than {ms} ms of CPU "
                "(LEADFLOW_RENDER_MAX_MS)"
            )

    def wrote(self, n: int) -> None:
        self.written += n
        if self.written > self.max_written:
            raise RenderLimitExceeded(
                f"{self.limits.what}: the template wrote more than {self.max_written} "
                f"characters on the way ({WRITTEN_FACTOR} x {self.limits.chars_setting} or "
                f"{MAX_SEQUENCE})"
            )

    def too_long(self, size: int, what: str = "a value") -> None:
        """Refuse building ``what`` of ``size`` characters when it passes the value limit."""
        if size > self.value_chars:
            raise RenderLimitExceeded(
                f"{self.limits.what}: {what} would be {size} characters, more than "
                f"{self.value_chars} ({self.limits.chars_setting}, at least {MAX_SEQUENCE})"
            )

    def check_text(self, value: Any, what: str = "a value as text") -> None:
        """Refuse turning ``value`` into text when that text would pass the value limit."""
        if type(value) is str:
            self.too_long(len(value), what)
        else:
            self.too_long(self.text_size(value), what)

    def text_size(self, value: Any) -> int:
        """About how long ``str(value)`` is; stops counting once past the value limit (and
        charges the walk as steps), so a list of a million references costs nothing."""
        limit = self.value_chars
        total = 0
        visited = 0
        stack = [value]
        while stack and total <= limit:
            item = stack.pop()
            visited += 1
            if isinstance(item, str):
                total += len(item) + 2
            elif isinstance(item, bool) or item is None:
                total += 5
            elif isinstance(item, int):
                total += item.bit_length() * 30103 // 100000 + 2
            elif isinstance(item, float):
                total += 24
            elif isinstance(item, list | tuple | set | frozenset):
                total += 2 + len(item)
                stack.extend(item)
            elif isinstance(item, Mapping):
                total += 2 + 2 * len(item)
                for k, v in item.items():
                    stack.append(k)
                    stack.append(v)
            elif isinstance(item, Namespace):
                stack.append(item.__dict__.get("_Namespace__attrs", {}))
            else:
                total += 64
        self.tick(1 + visited // 16)
        return total


_DEFAULT = RenderLimits()
_current: ContextVar[RenderBudget | None] = ContextVar("leadflow_render_budget", default=None)


def current() -> RenderBudget:
    """The budget of the render in progress (outside a render, e.g. while the compiler folds
    constants, a fresh default budget, so the checks still refuse absurd values)."""
    budget = _current.get()
    return budget if budget is not None else RenderBudget(_DEFAULT)


def start(limits: RenderLimits) -> Any:
    """Begin a render; returns the token for :func:`finish`."""
    return _current.set(RenderBudget(limits))


def finish(token: Any) -> None:
    _current.reset(token)


# ---------------------------------------------------------------------------- format strings
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")


def check_percent(budget: RenderBudget, fmt: str, args: Any) -> None:
    """``fmt % args``: refuse ``*`` widths and widths past the limit, and too long a result."""
    size = len(fmt)
    for match in _PERCENT.finditer(fmt):
        for width in match.group(1, 2):
            if width == "*":
                raise RenderLimitExceeded(
                    f"{budget.limits.what}: '*' widths are not allowed in % formats"
                )
            if width:
                size += int(width)
    values = args if isinstance(args, tuple) else (args,)
    for value in values:
        size += len(value) if type(value) is str else budget.text_size(value)
    budget.too_long(size, "a % formatted string")


def check_format(budget: RenderBudget, fmt: str, args: Any, kwargs: Mapping[str, Any]) -> None:
    """``fmt.format(*args, **kwargs)``: the same rules for ``{:>1000}`` widths."""
    size = len(fmt)
    for _, name, spec, _ in Formatter().parse(fmt):
        if name is None or not spec:
            continue
        if "{" in spec:
            raise RenderLimitExceeded(
                f"{budget.limits.what}: nested fields in format specs are not allowed"
            )
        size += sum(int(n) for n in re.findall(r"\d+", spec))
    for value in (*args, *kwargs.values()):
        size += len(value) if type(value) is str else budget.text_size(value)
    budget.too_long(size, "a formatted string")


def check_int(budget: RenderBudget, bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise RenderLimitExceeded(
            f"{budget.limits.what}: an integer of more than {MAX_INT_BITS} bits"
        )
    budget.tick()
