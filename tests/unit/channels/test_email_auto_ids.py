"""Automatic answers told from replies (RFC 3834 and the responders' own headers, out-of-office
subjects in English and Spanish), and our Message-ID found again in a reply's headers."""

from __future__ import annotations

import pytest

from leadflow.channels.email_auto import auto_reply_reason
from leadflow.channels.email_ids import outgoing_message_id, parse_ours, referenced_ids


def _reason(subject: str = "Re: Homes near you", **headers: str) -> str | None:
    found = {k.replace("_", "-").lower(): v for k, v in headers.items()}
    return auto_reply_reason(lambda name: found.get(name.lower()), subject)


@pytest.mark.parametrize(
    "headers",
    [
        {"auto_submitted": "auto-replied"},
        {"auto_submitted": "auto-generated"},
        {"auto_submitted": 'Auto-Replied; owner-email="x@y"'},
        {"x_autoreply": "yes"},
        {"x_autorespond": "Vacation"},
        {"precedence": "bulk"},
        {"precedence": "auto_reply"},
        {"precedence": "junk"},
    ],
)
def test_headers_that_mark_an_automatic_answer(headers: dict[str, str]) -> None:
    assert _reason(**headers) is not None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"auto_submitted": "no"},
        {"precedence": "list"},
        {"x_autoreply": "no"},
        {"x_auto_response_suppress": "All"},
    ],
)
def test_a_persons_reply_is_none(headers: dict[str, str]) -> None:
    assert _reason(**headers) is None


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Homes near you",
        "Automatic reply: Homes near you",
        "Re: Out of office",
        "AutoReply: vacation",
        "Auto-Reply: I'm away",
        "[Out of office] back Monday",
        "Respuesta automática: Casas",
        "Fuera de la oficina",
        "RE: Ausente hasta el lunes",
        "De vacaciones",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    assert _reason(subject) == "subject: out of office"


@pytest.mark.parametrize(
    "subject",
    ["Re: Out of town buyers", "Re: Is the office space available?", "Vacation home listing?"],
)
def test_subjects_that_are_not_out_of_office(subject: str) -> None:
    assert _reason(subject) is None


def test_our_message_id_round_trips_and_a_wrong_tag_is_refused() -> None:
    mid = outgoing_message_id(42, "run7:mail:email", "acme.example")
    ours = parse_ours(mid)
    assert ours is not None and ours.message_id == 42 and ours.matches("run7:mail:email")
    assert not ours.matches("run8:mail:email")
    assert parse_ours("<CAF=abc@mail.gmail.com>") is None
    assert outgoing_message_id(42, "run7:mail:email", "acme.example") == mid  # deterministic


def test_referenced_ids_put_in_reply_to_first_then_references_newest_first() -> None:
    refs = referenced_ids("<c@x>", "<a@x> <b@x>\r\n <c@x>")
    assert refs == ["<c@x>", "<b@x>", "<a@x>"]
    assert referenced_ids(None, None) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"content_type": 'multipart/report; report-type=delivery-status; boundary="b"'},
        {"from": "Mail Delivery System <MAILER-DAEMON@mx.example.com>"},
        {"from": "postmaster@outlook.example"},
    ],
)
def test_bounces_are_no_reply(headers: dict[str, str]) -> None:
    assert _reason("Undeliverable: Homes near you", **headers) == "delivery report"


def test_a_person_named_like_a_daemon_is_still_a_person() -> None:
    assert _reason(**{"from": "Post Master <pm@example.com>"}) is None
