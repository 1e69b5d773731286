"""Hostile templates fail fast with an error naming the limit; normal ones render as before."""

from __future__ import annotations

import time
from typing import Any

import pytest

from leadflow.definitions.render_budget import RenderLimits
from leadflow.definitions.templates import render, render_html, template_problems
from leadflow.errors import PermanentStepError

VARS: dict[str, Any] = {"contact": {"first_name": "Mary Ann", "fields": {}}}
SMS = RenderLimits(max_chars=1600, what="SMS body", chars_setting="LEADFLOW_MAX_SMS_CHARS")

HOSTILE = {
    # 60 bytes that rendered 20 MB
    "many copies": "{% for i in range(200) %}{{ 'x' * 100000 }}{% endfor %}",
    # 110 bytes that doubled a string to 16.8 MB (here: 2**40 characters if nothing stopped it)
    "doubling": "{% set n = namespace(s='xx') %}{% for i in range(40) %}"
    "{% set n.s = n.s ~ n.s %}{% endfor %}{{ n.s }}",
    "huge range": "{% for i in range(10**9) %}{{ i }}{% endfor %}",
    "huge repeat": "{{ 'x' * 10**8 }}",
    "long loop": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "center": "{{ 'x'|center(1000000000) }}",
    "str.center": "{{ 'x'.center(1000000000) }}",
    "format width": "{{ '{:>1000000000}'.format(1) }}",
    "percent width": "{{ '%1000000000d' % 1 }}",
    "format filter": "{{ '%1000000000d'|format(1) }}",
    "indent": "{{ ('a\n' * 50000)|indent(100000) }}",
    "wordwrap": "{{ ('x ' * 50000)|wordwrap(1, wrapstring='y' * 100000) }}",
    "replace": "{{ ('x' * 100000)|replace('x', 'y' * 100000) }}",
    "references": "{% set a = ['x' * 100000] * 100000 %}{{ a }}",
    "join": "{% set a = ['x' * 1000] * 100000 %}{{ a|join }}",
    "macro doubling": "{% macro d(n) %}{% if n %}{{ d(n-1) }}{{ d(n-1) }}{% else %}"
    "{{ 'x' * 1000 }}{% endif %}{% endmacro %}{{ d(30) }}",
    "big integer": "{{ ((10**1000)**1000)**1000 }}",
    "list doubling": "{% set n = namespace(s=[1]) %}{% for i in range(40) %}"
    "{% set n.s = n.s + n.s %}{% endfor %}{{ n.s|length }}",
    "sum of lists": "{{ ([[1] * 1000] * 1000)|sum(start=[]) }}",
    "to_bytes": "{{ (1).to_bytes(1000000000, 'big') }}",
    "lipsum": "{{ lipsum(100000) }}",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_template_fails_fast_with_a_clear_error(source: str) -> None:
    started = time.process_time()
    with pytest.raises(PermanentStepError, match="template error") as caught:
        render(source, VARS, SMS)
    assert time.process_time() - started < 0.5
    message = caught.value.message
    assert any(
        word in message
        for word in ("LEADFLOW_", "Range too big", "not allowed", "too large", "bits", "items")
    ), message


def test_the_errors_name_the_limit_and_the_part() -> None:
    with pytest.raises(PermanentStepError) as caught:
        render(HOSTILE["many copies"], VARS, SMS)
    assert caught.value.message == (
        "template error: SMS body longer than 1600 characters (LEADFLOW_MAX_SMS_CHARS)"
    )
    with pytest.raises(PermanentStepError, match=r"more than 100000 template steps "):
        render(HOSTILE["long loop"], VARS, SMS)
    with pytest.raises(PermanentStepError, match=r"SMS body: a ~ concatenation would be"):
        render(HOSTILE["doubling"], VARS, SMS)


def test_lower_limits_are_honoured() -> None:
    small = RenderLimits(max_chars=10, max_steps=200, what="e-mail subject")
    assert render("{{ contact.first_name }}", VARS, small) == "Mary Ann"
    with pytest.raises(PermanentStepError, match="e-mail subject longer than 10 characters"):
        render("{{ contact.first_name }} and more", VARS, small)
    with pytest.raises(PermanentStepError, match="more than 200 template steps"):
        render("{% for i in range(300) %}{% endfor %}", VARS, small)
    slow = RenderLimits(max_cpu_s=0.001, max_steps=10**9)
    started = time.process_time()
    with pytest.raises(PermanentStepError, match="more than 1 ms of CPU"):
        render(HOSTILE["long loop"], VARS, slow)
    assert time.process_time() - started < 0.5


def test_ordinary_templates_still_render() -> None:
    source = (
        "Hi {{ contact.first_name|first_word }}! {% for i in range(3) %}{{ i }}{% endfor %} "
        "{{ '%05d' % 42 }} {{ '{:>4}|{:,}'.format('a', 1250000) }} {{ [1, 2]|join(', ') }} "
        "{{ [1, 2, 3]|sum }} {{ 'ab'|center(6) }}|{{ 'x' * 3 }}{{ 'y' + 'z' }} "
        "{{ 'a b'.split()|length }} {{ ('x' * 5000)|length }}"
    )
    assert render(source, VARS, SMS) == (
        "Hi Mary! 012 00042    a|1,250,000 1, 2 6   ab  |xxxyz 2 5000"
    )
    assert render_html("<b>{{ '<i>' ~ contact.first_name }}</b>", VARS) == (
        "<b>&lt;i&gt;Mary Ann</b>"
    )


def test_a_long_field_value_can_still_be_shortened() -> None:
    notes = {"contact": {"fields": {"notes": "word " * 30_000}}}
    out = render("{{ contact.fields.notes|truncate(20) }}", notes, SMS)
    assert out == "word word word..."


def test_validation_names_obviously_costly_templates() -> None:
    assert template_problems("{{ 'x' * 10**8 }}", "n.body") == [
        "n.body: template too costly at line 1: repeats something 100000000 times (most: 100000)"
    ]
    assert "range() of 1000000000" in template_problems(HOSTILE["huge range"], "b")[0]
    assert "center(1000000000)" in template_problems(HOSTILE["center"], "b")[0]
    assert template_problems("{{ 3 * 4 }}{{ range(10)|list }}{{ 'a'|center(20) }}", "b") == []
