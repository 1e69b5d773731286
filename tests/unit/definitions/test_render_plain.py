"""Plain templates filled in without Jinja's runtime give what the sandbox gives, or step aside."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.definitions import templates
from leadflow.definitions.render_budget import RenderLimits
from leadflow.definitions.render_plain import fill, plain_plan
from leadflow.errors import PermanentStepError

VARS: dict[str, Any] = {
    "contact": {
        "first_name": "Ann",
        "last_name": None,
        "tags": ["a"],
        "fields": {"city": "Austin", "n": 3},
        "items": "not the method",
    },
    "name": "Bo",
    "number": 7,
}


def _jinja(source: str, variables: dict[str, Any], limits: RenderLimits) -> str | None:
    """What the sandbox renders, None where it raises."""
    token = templates.start(limits)
    try:
        return templates._generate(templates._TEXT.from_string(source), variables, limits)
    except Exception:
        return None
    finally:
        templates.finish(token)


def _plain(source: str, variables: dict[str, Any], limits: RenderLimits) -> str | None:
    plan = plain_plan(templates._TEXT, source)
    return None if plan is None else fill(plan[0], plan[1], variables, limits)


@pytest.mark.parametrize(
    "source",
    [
        "Hi {{ contact.first_name }}!",
        "",
        "no lookups\n",
        "a\r\nb {{- contact.first_name }}  \n",
        "[{{ contact.last_name }}]",
        "{{ contact.fields.city }} {{ name }}",
        "{{ contact.fields.n }}",
        "{{ contact.tags }}",
        "{{ contact.missing }}",
        "{{ contact.fields.city.deeper }}",
        "{{ contact.items }}",
        "{{ nobody }}",
        "{{ number }}",
        "{# note #}x{{ name }}",
        "{{ name | upper }}",
        "{% if name %}y{% endif %}",
        "{{ contact['first_name'] }}",
        "{{ name ~ name }}",
        "{{ contact.first_name",
    ],
)
def test_plain_gives_what_jinja_gives_or_steps_aside(source: str) -> None:
    limits = RenderLimits()
    plain = _plain(source, VARS, limits)
    if plain is not None:
        assert plain == _jinja(source, VARS, limits)
    assert _text(source) == _jinja(source, VARS, limits)  # the public path, either way


def _text(source: str) -> str | None:
    try:
        return templates.render(source, VARS)
    except PermanentStepError:
        return None


def test_plain_steps_aside_near_a_limit() -> None:
    source = "Hi {{ contact.first_name }}"
    assert _plain(source, VARS, RenderLimits(max_chars=6)) == "Hi Ann"
    assert _plain(source, VARS, RenderLimits(max_chars=5)) is None
    assert _plain(source, VARS, RenderLimits(max_steps=1)) is None
    with pytest.raises(PermanentStepError, match="longer than 5"):
        templates.render(source, VARS, RenderLimits(max_chars=5))
    with pytest.raises(PermanentStepError, match="steps"):
        templates.render(source, VARS, RenderLimits(max_steps=1))
    long = "{{ contact.first_name }}" * 20  # 40 steps: past the budget's first look
    assert _plain(long, VARS, RenderLimits()) is None
    assert templates.render(long, VARS) == "Ann" * 20


def test_names_jinja_gives_a_meaning_are_not_plain() -> None:
    for name in ("self", "loop", "super", "caller", "varargs", "kwargs"):
        assert plain_plan(templates._TEXT, f"{{{{ {name} }}}}") is None


def test_missing_values_still_fail_through_jinja() -> None:
    with pytest.raises(PermanentStepError, match="missing"):
        templates.render("{{ contact.missing }}", VARS)


_TEXT_PART = st.text(alphabet="ab {}%#-\r\n.", max_size=6)
_LOOKUP = st.sampled_from(
    ["name", "contact.first_name", "contact.last_name", "contact.fields.city", "nobody"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_TEXT_PART, _LOOKUP, st.sampled_from(["", "-"])), max_size=4))
def test_plain_agrees_with_jinja_on_generated_templates(
    parts: list[tuple[str, str, str]],
) -> None:
    source = "".join(f"{text}{{{{{dash} {lookup} }}}}" for text, lookup, dash in parts)
    limits = RenderLimits()
    plain = _plain(source, VARS, limits)
    if plain is not None:
        assert plain == _jinja(source, VARS, limits)
