from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadflow.definitions import templates
from leadflow.definitions.templates import (
    first_word,
    phone_pretty,
    render,
    render_html,
    template_problems,
)
from leadflow.errors import PermanentStepError

VARS: dict[str, Any] = {
    "contact": {"first_name": "Ann", "last_name": None, "phone": "+14155550123", "fields": {}},
    "event": {"type": "lead.created", "data": {"source": "zillow"}},
    "now": datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
}


def test_render_basic() -> None:
    assert render("Hi {{ contact.first_name }}!", VARS) == "Hi Ann!"
    assert render("{{ event.data.source | upper }}", VARS) == "ZILLOW"
    assert render("{{ now.strftime('%Y-%m-%d') }}", VARS) == "2024-05-01"
    assert render("line\n", VARS) == "line\n"


def test_none_renders_empty_and_or_gives_a_fallback() -> None:
    assert render("[{{ contact.last_name }}]", VARS) == "[]"
    assert render("{{ contact.last_name or 'friend' }}", VARS) == "friend"


def test_text_is_not_escaped_html_is() -> None:
    variables = {"x": "<b>&</b>"}
    assert render("{{ x }}", variables) == "<b>&</b>"
    assert render_html("<p>{{ x }}</p>", variables) == "<p>&lt;b&gt;&amp;&lt;/b&gt;</p>"


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("Hi {{ nobody }}", "'nobody' is undefined"),
        ("Hi\n{{ contact.middle_name }}", "template error at line 2: 'dict object' has no"),
        ("{% if %}", "template syntax error at line 1"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
    ],
)
def test_render_errors_are_permanent(source: str, fragment: str) -> None:
    with pytest.raises(PermanentStepError) as info:
        render(source, VARS)
    assert fragment in info.value.message
    assert info.value.retryable is False
    assert "Traceback" not in info.value.message


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ contact.__class__ }}",
        "{{ now.__class__.__init__.__globals__ }}",
        "{{ contact.fields.update({'x': 1}) }}",
        "{{ 'x' * 10000000 }}",
        "{{ 9 ** 999999 }}",
    ],
)
def test_sandbox_refuses_unsafe_access(source: str) -> None:
    with pytest.raises(PermanentStepError, match="template error"):
        render(source, VARS)
    with pytest.raises(PermanentStepError):
        render_html(source, VARS)


@pytest.mark.parametrize(
    ("source", "cache", "start"),
    [
        ("cached {{ contact.first_name | upper }} ", templates._text_template, "cached ANN"),
        ("plain {{ contact.first_name }} ", templates._text_plan, "plain Ann"),  # no Jinja
    ],
)
def test_compiled_templates_are_cached(source: str, cache: Any, start: str) -> None:
    cache.cache_clear()
    for _ in range(5):
        assert render(source + "x" * 10, VARS).startswith(start)
    info = cache.cache_info()
    assert info.misses == 1 and info.hits == 4


def test_filters() -> None:
    assert first_word("Mary Ann") == "Mary"
    assert first_word("  ") == ""
    assert first_word(None) == ""
    assert phone_pretty("+14155550123") == "(415) 555-0123"
    assert phone_pretty("415.555.0123") == "(415) 555-0123"
    assert phone_pretty("+442071234567") == "+442071234567"
    assert phone_pretty("call me") == "call me"
    assert phone_pretty(None) == ""
    assert render("{{ contact.phone | phone_pretty }}", VARS) == "(415) 555-0123"
    assert render("{{ 'Jo Ann' | first_word }}", VARS) == "Jo"


@pytest.mark.parametrize(
    "source",
    [
        "Hi {{ contact.first_name }} {{ contact.fields.favourite_city }}",
        "{{ contact['last_name'] }} {{ contact.tags | join(', ') }}",
        "{{ event.data.x }} {{ context.y }} {{ steps.a.sent }} {{ workflow.name }} {{ run.id }}",
        "{{ now.year }} {{ agent.id }}",  # agent.name would fail every run: only id is there
        "{% for t in contact.tags %}{{ loop.index }}:{{ t }}{% endfor %}",
        "{% set greeting = 'Hi' %}{{ greeting }} {{ range(3) | list }}",
        "{{ contact.phone | phone_pretty }} {{ contact.first_name | first_word }}",
        "plain text, no variables",
    ],
)
def test_template_without_problems(source: str) -> None:
    assert template_problems(source, "p") == []


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("Hi\n{{ contact.first_name", "p: template syntax error at line 2:"),
        ("{% for x in y %}", "p: template syntax error at line 1:"),
        ("{{ lead.name }}", "p: unknown variable 'lead' at line 1; available: agent, contact"),
        ("a\n\n{{ contact.frist_name }}", "p: unknown contact field 'frist_name' at line 3"),
        ("{{ contact['nick'] }}", "p: unknown contact field 'nick' at line 1"),
        ("{{ contact.first_name | shout }}", "p: unknown filter 'shout' at line 1"),
        ("{% if contact.first_name is shouty %}x{% endif %}", "p: unknown test 'shouty'"),
        ("{% include 'footer.txt' %}", "p: include at line 1 is not supported"),
        ("{% block a %}{% endblock %}{% block a %}{% endblock %}", "p: template error at line 1"),
    ],
)
def test_template_problems(source: str, problem: str) -> None:
    problems = template_problems(source, "p")
    assert any(p.startswith(problem) for p in problems), problems
