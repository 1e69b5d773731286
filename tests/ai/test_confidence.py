"""The drafting confidence discriminates: words the parser recognises nothing in, a condition it
did not turn into one, hedges and open alternatives, and an action asked for twice but drafted
once each lower it; connecting words and request-wide settings do not."""

from __future__ import annotations

import pytest

from leadflow.ai.confidence import coverage, draft_confidence, planner_confidence
from leadflow.ai.planner import plan_workflow
from leadflow.ai.understood import ambiguities, clarity, understood, unrecognised


def test_a_request_fully_understood_is_confident() -> None:
    prompt = "When a new lead comes in, text them, wait a day, then email them."
    assert unrecognised(prompt) == [] and ambiguities(prompt) == []
    conf = planner_confidence(plan_workflow(prompt), sanity=1.0)
    assert conf.value == 1.0 and conf.parts["coverage"] == 1.0 and conf.parts["clarity"] == 1.0


@pytest.mark.parametrize(
    ("prompt", "missed"),
    [
        (
            "When a new lead comes in, mail them a postcard and text them the next day.",
            ["mail them a postcard"],
        ),
        (
            "New leads from Zillow get a text right away; if they visited the listing page "
            "twice, call them.",
            ["if they visited the listing page twice"],
        ),
        (
            "When a new lead arrives, call them live; if the call goes unanswered leave a "
            "voicemail",
            ["if the call goes unanswered leave a voicemail"],  # the action, not its condition
        ),
    ],
)
def test_what_the_parser_did_not_recognise_lowers_the_confidence(
    prompt: str, missed: list[str]
) -> None:
    assert unrecognised(prompt) == missed
    draft = plan_workflow(prompt)
    assert understood(prompt, draft.plan.notes) < 1.0
    assert planner_confidence(draft, sanity=1.0).value < 0.95
    assert planner_confidence(draft).value < 0.9


@pytest.mark.parametrize(
    "prompt",
    [
        "Text new leads and wait up to 24 hours for a reply; if they reply notify the agent, "
        "otherwise send an email.",
        "For new leads, split 50/50 between a text first and an email first, judge on replies.",
        "Send new leads an SMS between 9am and 6pm only, weekdays.",
        "For every lead from realtor.com, email them a welcome, then after 3 days text them "
        "asking if they have questions.",
        "Email new leads, wait up to 3 days for them to open it, then text them either way.",
    ],
)
def test_connecting_words_and_request_wide_settings_count_as_understood(prompt: str) -> None:
    assert unrecognised(prompt) == [] and clarity(prompt) == 1.0


def test_hedges_and_open_alternatives_lower_the_clarity() -> None:
    prompt = "Maybe send some kind of follow-up to leads who went quiet, something friendly."
    assert ambiguities(prompt) == ["maybe", "some kind of", "something"]
    assert clarity(prompt) == 0.25
    assert ambiguities("Text or email new leads, whichever they prefer.") == [
        "text or email",
        "whichever",
    ]
    draft = plan_workflow(prompt)  # the only action is the planner's filler e-mail
    assert planner_confidence(draft, sanity=1.0).value < 0.5


def test_an_action_asked_twice_needs_two_nodes() -> None:
    once = {"triggers": [{"type": "event"}], "nodes": [{"id": "a", "kind": "send_sms"}]}
    twice = {"triggers": [{"type": "event"}], "nodes": [{"id": "a", "kind": "send_sms"}] * 2}
    intents = ["trigger:new_lead", "action:sms", "action:sms"]
    assert coverage(intents, once) == pytest.approx(0.75)
    assert coverage(intents, twice) == 1.0


def test_the_model_path_weighs_agreement_and_the_planner_does_not() -> None:
    prompt = "Text new leads right away, wait 2 hours, then send an email."
    draft = plan_workflow(prompt)
    model = draft_confidence(
        prompt, draft.plan.intents, draft.definition, validity=0.7, agreement=0.5, sanity=1.0
    )
    assert set(model.parts) == {"validity", "agreement", "coverage", "clarity", "sanity"}
    assert model.value == pytest.approx((0.3 * 0.7 + 0.2 * 0.5 + 0.3 + 0.05 + 0.15) / 1.0, abs=1e-3)
    planner = planner_confidence(draft, sanity=1.0)
    assert "agreement" not in planner.parts and planner.weights["coverage"] == 0.6
