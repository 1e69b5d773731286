"""Reading inbound texts: opt-outs in every form the law and carriers know, opt-ins, help --
and the everyday replies that merely contain such a word, which must not drop a lead."""

from __future__ import annotations

import pytest

from leadflow.compliance.keywords import Intent, classify

OPT_OUTS = [
    "STOP",
    "stop",
    "Stop.",
    " STOP ",
    "STOP!!!",
    "stopall",
    "UNSUBSCRIBE",
    "Cancel",
    "end",
    "QUIT",
    "revoke",
    "optout",
    "opt out",
    "Opt-out",
    "off",
    "Stop please",
    "please stop",
    "STOP NOW",
    "stop it",
    "Stop texting me",
    "stop txting me!!",
    "Please stop messaging me",
    "stop contacting me",
    "stop calling me",
    "Stop sending me these",
    "Unsubscribe me",
    "unsubscribe me from this list",
    "opt me out",
    "Don't text me",
    "don\u2019t text me again",
    "do not contact me",
    "Never call me again",
    "wrong number",
    "Wrong #",
    "You have the wrong number",
    "this is the wrong person",
    "Take me off your list",
    "take me off this list please",
    "remove me",
    "Remove my number",
    "remove me from your list",
    "delete me from your list",
    "No more texts",
    "no more messages please",
    "Leave me alone",
    "lose my number",
    "not the right number",
    "stop thanks",
    "end messages",
    "cancel texts",
]
NOT_OPT_OUTS = [
    "I'll stop by at 5",
    "Can we stop at the open house?",
    "The end of the month works",
    "Is the pool heated? Also what's the HOA?",
    "I want to cancel my 3pm showing and move it to 4",
    "yes I'm interested",
    "What's the price?",
    "Call me after work",
    "Text me the address please",
    "Send me more listings like that one",
    "I'm off work at 5, call then",
    "Not interested in condos, only houses",
    "stopped by yesterday, loved it",
    "Is this the right number for Sam?",
    "I'd like to take a look this weekend",
    "",
    "   ",
    "👍",
]


@pytest.mark.parametrize("body", OPT_OUTS)
def test_opt_outs_are_read_as_opt_outs(body: str) -> None:
    assert classify(body) is Intent.OPT_OUT


@pytest.mark.parametrize("body", NOT_OPT_OUTS)
def test_everyday_replies_are_no_opt_out(body: str) -> None:
    assert classify(body) in (Intent.NONE, Intent.OPT_IN)


@pytest.mark.parametrize("body", ["START", "start", "Yes", "YES!", "unstop"])
def test_opt_ins(body: str) -> None:
    assert classify(body) is Intent.OPT_IN


@pytest.mark.parametrize("body", ["HELP", "help?", "Info"])
def test_help(body: str) -> None:
    assert classify(body) is Intent.HELP


def test_the_providers_reading_wins() -> None:
    assert classify("hello", "STOP") is Intent.OPT_OUT
    assert classify("STOP", "START") is Intent.OPT_IN
    assert classify("what?", "help") is Intent.HELP
    assert classify("STOP", "") is Intent.OPT_OUT  # an empty field says nothing
    assert classify("STOP", "SOMETHING_NEW") is Intent.OPT_OUT
