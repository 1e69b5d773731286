"""Reading inbound e-mail: Inbound Parse's multipart bodies (as httpx encodes them) with their
``charsets``, full MIME messages, HTML-only replies, and what is refused."""

from __future__ import annotations

import json
from email.message import EmailMessage

import httpx
import pytest

from leadflow.channels.email_inbound import MalformedEmail, from_mime
from leadflow.channels.email_reply import reply_text
from leadflow.channels.sendgrid_inbound import inbound_email, read_post


def _multipart(parts: list[tuple[str, object]]) -> tuple[str, bytes]:
    request = httpx.Request("POST", "http://x/hook", files=parts)
    return request.headers["content-type"], request.read()


def test_fields_are_decoded_with_the_charsets_sendgrid_names() -> None:
    text = "¿Cuándo podemos verla? Saludos"
    content_type, body = _multipart(
        [
            (
                "headers",
                (None, b"From: Ana <ana@example.com>\nSubject: Re: Casa\nMessage-ID: <a@b>\n"),
            ),
            ("from", (None, b"Ana <ana@example.com>")),
            ("to", (None, b"replies@acme.example")),
            ("subject", (None, b"Re: Casa")),
            ("text", (None, text.encode("iso-8859-1"))),
            ("charsets", (None, json.dumps({"text": "iso-8859-1", "from": "UTF-8"}).encode())),
            ("attachments", (None, b"1")),
            ("attachment1", ("photo.jpg", b"\xff\xd8\xff\x00binary", "image/jpeg")),
        ]
    )
    post = read_post(content_type, body)
    assert post.attachments == 1 and "attachment1" not in post.fields
    mail = inbound_email(post)
    assert mail.body == text and mail.sender == "ana@example.com"
    assert mail.message_id == "<a@b>" and mail.recipients == ("replies@acme.example",)
    assert mail.auto_reply is None


def test_an_html_only_gmail_reply_is_read_from_its_html() -> None:
    msg = EmailMessage()
    msg["From"] = "Jane <jane@example.com>"
    msg["To"] = "agent@acme.example"
    msg["Subject"] = "Re: Homes"
    msg.set_content(
        '<div dir="ltr">Yes, Saturday works.</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">On Mon, Mar 2, 2026 at 10:15 AM Acme Realty '
        "&lt;agent@acme.example&gt; wrote:<br></div><blockquote>Hi Jane, three new "
        "listings.</blockquote></div>",
        subtype="html",
    )
    mail = from_mime(msg.as_bytes(), "imap")
    assert reply_text(mail.body) == "Yes, Saturday works."


@pytest.mark.parametrize(
    ("content_type", "body", "field"),
    [
        (None, b"x", "content-type"),
        ("application/x-www-form-urlencoded", b"from=a", "content-type"),
        ("multipart/form-data", b"no boundary here", "body"),
        ("multipart/form-data; boundary=zz", b"--zz--\r\n", "body"),
    ],
)
def test_posts_that_are_not_inbound_parse_name_the_problem(
    content_type: str | None, body: bytes, field: str
) -> None:
    with pytest.raises(MalformedEmail, match=rf"^{field}:"):
        read_post(content_type, body)


def test_a_message_without_a_usable_sender_is_malformed() -> None:
    with pytest.raises(MalformedEmail, match=r"^from: missing"):
        from_mime(b"Subject: hi\r\n\r\nbody\r\n", "imap")
    with pytest.raises(MalformedEmail, match=r"^from: "):
        from_mime(b"From: not an address\r\nSubject: hi\r\n\r\nbody\r\n", "imap")
    with pytest.raises(MalformedEmail, match=r"^email: empty"):
        from_mime(b"  \r\n", "imap")
