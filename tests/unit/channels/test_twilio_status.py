"""Twilio's statuses and error codes as leadflow reads them."""

from __future__ import annotations

import pytest

from leadflow.channels.twilio_status import (
    call_outcome,
    describe_error,
    error_code,
    is_forward,
    send_error,
    sms_outcome,
)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("delivered", "delivered"),
        ("undelivered", "failed"),
        ("failed", "failed"),
        ("sent", None),
        ("queued", None),
        ("sending", None),
        ("accepted", None),
        ("read", None),
        ("DELIVERED", "delivered"),
        ("", None),
        (None, None),
    ],
)
def test_only_final_message_statuses_are_facts(status: str | None, outcome: str | None) -> None:
    assert sms_outcome(status) == outcome


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("completed", "delivered"),
        ("busy", "failed"),
        ("no-answer", "failed"),
        ("failed", "failed"),
        ("canceled", "failed"),
        ("ringing", None),
        ("in-progress", None),
        ("queued", None),
    ],
)
def test_only_final_call_statuses_are_facts(status: str, outcome: str | None) -> None:
    assert call_outcome(status) == outcome


def test_message_statuses_only_move_forward() -> None:
    assert is_forward("sent", "delivered") and is_forward(None, "queued")
    assert not is_forward("delivered", "sent") and not is_forward("delivered", "failed")
    assert is_forward("delivered", "read") and not is_forward("sent", "whatever")


def test_error_codes_are_explained() -> None:
    assert error_code("21610") == 21610 and error_code("") is None and error_code("x") is None
    assert describe_error(30006) == (
        "error 30006: the number is a landline or its carrier cannot receive texts"
    )
    assert describe_error(12345, "Some new error") == "error 12345: Some new error"
    assert describe_error(None) == "no error code given"


def test_send_errors_say_whether_to_retry() -> None:
    opted = send_error(400, 21610, "Attempt to send to unsubscribed recipient")
    assert opted.message.startswith("opted_out: error 21610") and not opted.retryable
    assert not send_error(400, 30005, "").retryable
    assert send_error(500, 20500, "Internal").retryable
    assert send_error(429, 20429, "Too many").retryable
    assert not send_error(400, 21602, "Body required").retryable
