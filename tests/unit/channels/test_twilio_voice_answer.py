"""The TwiML a Twilio call is answered with, for each AnsweredBy and mode."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from leadflow.channels.twilio_voice import answer
from leadflow.model.records import Message

AUDIO = "https://cdn.example.com/vm.mp3"
AGENT = "+14155550199"


def call(mode: str, audio: str | None = AUDIO, say: str | None = "Hi Ann, Jo here") -> Message:
    payload: dict[str, Any] = {"mode": mode, "audio_url": audio, "say": say}
    return Message(1, "c1", "wf", "ring", "voice", "+14155550123", "k", 0.0, 0.0,
                   body=say, payload=payload, id=9)  # fmt: skip


def verbs(twiml: str) -> list[tuple[str, str]]:
    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    return [(child.tag, (child.text or "").strip()) for child in root]


@pytest.mark.parametrize("who", ["machine_end_beep", "machine_end_silence", "machine_end_other"])
def test_after_the_beep_the_recording_is_played(who: str) -> None:
    assert verbs(answer(call("voicemail_drop"), who, None)) == [("Play", AUDIO), ("Hangup", "")]


def test_without_a_recording_the_text_is_left_on_the_machine() -> None:
    got = verbs(answer(call("voicemail_drop", audio=None), "machine_end_beep", None))
    assert got == [("Say", "Hi Ann, Jo here"), ("Hangup", "")]


def test_a_person_on_a_voicemail_drop_hears_the_text() -> None:
    got = verbs(answer(call("voicemail_drop"), "human", None))
    assert got == [("Say", "Hi Ann, Jo here"), ("Hangup", "")]


@pytest.mark.parametrize("who", ["human", "unknown", None])
def test_a_live_call_is_bridged_to_the_agent(who: str | None) -> None:
    assert verbs(answer(call("live"), who, AGENT)) == [("Dial", AGENT), ("Hangup", "")]


@pytest.mark.parametrize("who", ["machine_start", "fax"])
def test_a_greeting_still_playing_or_a_fax_is_hung_up_on(who: str) -> None:
    assert verbs(answer(call("voicemail_drop"), who, None)) == [("Hangup", "")]
    assert verbs(answer(call("live"), who, AGENT)) == [("Hangup", "")]


def test_an_unknown_message_is_hung_up_on() -> None:
    assert verbs(answer(None, "human", AGENT)) == [("Hangup", "")]
