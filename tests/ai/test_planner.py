"""The offline planner: the evaluation set's pass rate (tuning and held-out parts), determinism,
the phrase readers, and drafts that always validate, even for odd requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.ai import phrases
from leadflow.ai.confidence import planner_confidence
from leadflow.ai.evaluation import check
from leadflow.ai.planner import plan_workflow

SET = yaml.safe_load((Path(__file__).parent / "eval_requests.yaml").read_text())


def pass_rate(cases: list[dict[str, Any]]) -> float:
    passed = 0
    for case in cases:
        draft = plan_workflow(case["prompt"])
        passed += draft.report.ok and not check(draft.definition, case["expect"])
    return passed / len(cases)


def test_the_set_is_large_and_split() -> None:
    tuning, held = SET["tuning"], SET["held_out"]
    assert len(tuning) + len(held) >= 80 and len(held) >= 25
    ids = [c["id"] for c in tuning + held]
    assert len(ids) == len(set(ids))
    prompts = {c["prompt"] for c in tuning} & {c["prompt"] for c in held}
    assert prompts == set()


def test_pass_rates() -> None:
    assert pass_rate(SET["tuning"]) >= 0.9
    assert pass_rate(SET["held_out"]) >= 0.9  # measured, never tuned on (see docs/ai.md)


def test_the_checks_can_fail() -> None:
    draft = plan_workflow("Text new leads right away, wait 2 hours, then send an email.")
    assert check(draft.definition, {"order": ["send_sms", "wait", "send_email"]}) == []
    wrong = {"order": ["send_email", "send_sms"], "durations": ["3h"], "goals": ["x.y"]}
    assert len(check(draft.definition, wrong)) == 3


def test_the_planner_is_deterministic() -> None:
    prompt = "New Zillow leads: text, and if no reply in 1 hour, notify the agent."
    assert plan_workflow(prompt).definition == plan_workflow(prompt).definition


@pytest.mark.parametrize(
    "prompt",
    [
        "leads",
        "text",
        "Every lead every day every week every month",
        "if if if otherwise otherwise then then",
        "Wait 999999 years then email new leads",
        "A/B test A/B test for new leads with a 50% holdout",
        "When a new lead comes in " * 50,
        "New lead: tag them '; DROP TABLE contacts; --' and text them",
    ],
)
def test_odd_requests_still_give_valid_drafts(prompt: str) -> None:
    draft = plan_workflow(prompt)
    assert draft.report.ok, draft.report.errors


def test_a_draft_of_recognised_words_is_confident_and_nonsense_is_not() -> None:
    good = plan_workflow("Text new leads right away, wait 2 hours, then send an email.")
    assert planner_confidence(good, sanity=1.0).value >= 0.9
    poor = plan_workflow("purple monkey dishwasher")
    assert planner_confidence(poor).value < 0.5


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2 hours", 7200),
        ("half an hour", 1800),
        ("a week", 604800),
        ("three days", 259200),
        ("90 minutes", 5400),
        ("a couple of days", 172800),
        ("48h", 172800),
        ("six months", 180 * 86400),
        ("1 year", 365 * 86400),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert phrases.duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "hhmm"),
    [("at 9am", "09:00"), ("5 pm", "17:00"), ("at 8:30", "08:30"), ("at 5", "17:00"),
     ("noon", "12:00"), ("12am", "00:00"), ("next morning", "09:00")],
)  # fmt: skip
def test_times_of_day(text: str, hhmm: str) -> None:
    assert phrases.time_of_day(text) == hhmm


def test_formatted_durations_and_money() -> None:
    assert [phrases.fmt_duration(s) for s in (1800, 7200, 86400 * 3, 86400 * 7, 86400 * 365)] == [
        "30m", "2h", "3d", "1w", "365d"
    ]  # fmt: skip
    assert phrases.money("$1M") == 1_000_000 and phrases.money("300k") == 300_000
    assert phrases.money("$450,000") == 450_000
    assert phrases.weekdays("weekdays") == ["mon", "tue", "wed", "thu", "fri"]


WORDS = [
    "new",
    "lead",
    "leads",
    "text",
    "email",
    "call",
    "voicemail",
    "notify",
    "agent",
    "wait",
    "2",
    "hours",
    "3",
    "days",
    "a",
    "week",
    "until",
    "friday",
    "at",
    "5pm",
    "next",
    "morning",
    "if",
    "they",
    "reply",
    "open",
    "click",
    "otherwise",
    "everyone",
    "else",
    "score",
    "above",
    "80",
    "in",
    "texas",
    "budget",
    "over",
    "$1m",
    "tag",
    "'hot'",
    "stage",
    "start",
    "the",
    "nurture",
    "workflow",
    "a/b",
    "test",
    "holdout",
    "10%",
    "stop",
    "when",
    "they",
    "book",
    "every",
    "monday",
    "monthly",
    "price",
    "drop",
    "closing",
    "booking",
    "and",
    "then",
    ",",
    ";",
    ":",
    "again",
    "day",
    "3",
    "day",
    "7",
    "between",
    "9am",
    "and",
    "6pm",
    "weekdays",
    "re-enter",
    "after",
    "30",
    "days",
    "zillow",
]


@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=40))
@settings(max_examples=300, deadline=None)
def test_any_words_give_a_valid_draft_or_nothing_recognised(words: list[str]) -> None:
    draft = plan_workflow(" ".join(words))
    assert draft.report.ok, (words, draft.report.errors)


@pytest.mark.parametrize(
    "prompt",
    ["text them every new day", "email every other week for some weeks", "call back many times"],
)
def test_a_word_that_is_not_a_number_in_a_repeat_is_not_read_as_one(prompt: str) -> None:
    """ "every new day" once made the planner read "new" as a count and fail; a word that is
    not a number leaves the repeat unread and the draft valid."""
    draft = plan_workflow(prompt)
    assert draft.report.ok, draft.report.errors


def test_a_repeat_counted_in_words_is_still_read() -> None:
    draft = plan_workflow("send an email every two days for two weeks")
    assert draft.report.ok, draft.report.errors
    sends = [n for n in draft.definition["nodes"] if n["kind"] == "send_email"]
    assert len(sends) == 7
