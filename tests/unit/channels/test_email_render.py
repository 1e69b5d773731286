"""E-mail rendering: the MIME message a recipient's mail client gets."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest

from leadflow.channels.email_render import (
    EmailIdentity,
    EmailRefused,
    html_to_text,
    render_email,
    text_to_html,
)
from leadflow.channels.unsubscribe import Subscriber, UnsubscribeTokens
from leadflow.model.records import Message
from support.email_messages import email_message

NOW = 1_750_000_000.0
SECRET = "a-long-unsubscribe-secret-0123456789"
POSTAL = "Acme Realty\n100 Main Street, Springfield, IL 62701"
TOKENS = UnsubscribeTokens(SECRET)
IDENTITY = EmailIdentity(
    from_addr="Acme Realty <agent@acme.example>",
    postal_address=POSTAL,
    public_url="https://leads.acme.example/",
    unsubscribe_mailto="unsubscribe@acme.example",
    tokens=TOKENS,
)


def message(**kw: object) -> Message:
    body = "Hi Jane,\n\nThree homes <under> $500k & more."
    return email_message(**({"subject": "New homes for you", "body": body, "id": 7} | kw))


def parts(mime: EmailMessage) -> tuple[str, str]:
    text = mime.get_body(("plain",))
    markup = mime.get_body(("html",))
    assert text is not None and markup is not None
    return str(text.get_content()), str(markup.get_content())  # type: ignore[attr-defined]


def test_marketing_mail_is_text_and_html_with_footer_and_one_click_headers() -> None:
    email = render_email(message(), IDENTITY, NOW, tenant_id="acme")
    mime = email.mime()
    assert mime.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mime.iter_parts()] == ["text/plain", "text/html"]
    assert mime["From"] == "Acme Realty <agent@acme.example>"
    assert mime["To"] == "jane@example.com"
    assert mime["Subject"] == "New homes for you"
    assert parsedate_to_datetime(mime["Date"]).timestamp() == NOW
    assert mime["Message-ID"] == email.message_id
    assert email.message_id.startswith("<") and email.message_id.endswith("@acme.example>")
    url = email.unsubscribe_url
    assert url is not None and url.startswith("https://leads.acme.example/u/")
    assert (
        mime["List-Unsubscribe"]
        == f"<{url}>, <mailto:unsubscribe@acme.example?subject=unsubscribe>"
    )
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, markup = parts(mime)
    assert text.startswith("Hi Jane,\n\nThree homes <under> $500k & more.")
    assert "100 Main Street, Springfield, IL 62701" in text and url in text
    assert "100 Main Street, Springfield, IL 62701" in markup and f'href="{url}"' in markup
    assert "&lt;under&gt; $500k &amp; more" in markup  # the text, escaped
    token = url.rsplit("/", 1)[1]
    assert TOKENS.read(token) == Subscriber("acme", "c1", "email", 7)


def test_without_a_mailto_the_header_has_only_the_link() -> None:
    identity = EmailIdentity(IDENTITY.from_addr, POSTAL, "https://leads.acme.example", None, TOKENS)
    email = render_email(message(), identity, NOW)
    assert email.headers["List-Unsubscribe"] == f"<{email.unsubscribe_url}>"


def test_transactional_mail_has_no_marketing_footer_or_unsubscribe_headers() -> None:
    mime = render_email(message(payload={"marketing": False}), IDENTITY, NOW).mime()
    assert mime["List-Unsubscribe"] is None and mime["List-Unsubscribe-Post"] is None
    text, markup = parts(mime)
    assert "Main Street" not in text and "Main Street" not in markup
    assert "/u/" not in text and "/u/" not in markup


def test_html_only_mail_gets_a_text_part_read_from_the_html() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><h1>Open house</h1>"
        '<p>Saturday at <b>2&nbsp;pm</b>.</p><p><a href="https://acme.example/h/1">See it</a></p>'
        "</body></html>"
    )
    mime = render_email(
        message(body=None, payload={"html": html, "marketing": False}), IDENTITY, NOW
    ).mime()
    text, markup = parts(mime)
    assert markup.strip() == html
    assert text.splitlines() == [
        "Open house",
        "",
        "Saturday at 2 pm.",
        "",
        "See it (https://acme.example/h/1)",
    ]
    assert "Open house" in text and "See it (https://acme.example/h/1)" in text
    assert "<" not in text and "color:red" not in text


def test_html_given_keeps_its_own_markup_and_gets_the_footer_inside_the_body() -> None:
    html = "<html><body><p>Hello</p></body></html>"
    email = render_email(message(payload={"html": html}), IDENTITY, NOW)
    assert email.html.startswith("<html><body><p>Hello</p>")
    assert email.html.endswith("</body></html>")
    assert "Unsubscribe</a>" in email.html


def test_text_to_html_escapes_and_html_to_text_reads_back() -> None:
    markup = text_to_html("a <script>alert(1)</script>\nline two\n\npara")
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert html_to_text(markup) == "a <script>alert(1)</script>\nline two\n\npara"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            {"subject": "Hi\r\nBcc: everyone@example.com"},
            "the subject must not contain line breaks",
        ),
        (
            {"to": "jane@example.com\nBcc: x@example.com"},
            "the recipient must not contain line breaks",
        ),
        ({"to": "not-an-address"}, "is not an e-mail address"),
        ({"to": None}, "is not an e-mail address"),
        ({"body": None, "payload": {"marketing": False}}, "neither a text body nor an HTML body"),
    ],
)
def test_unsafe_or_empty_mail_is_refused_clearly(change: dict[str, object], says: str) -> None:
    with pytest.raises(EmailRefused, match=says) as caught:
        render_email(message(**change), IDENTITY, NOW)
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("identity", "setting"),
    [
        (
            EmailIdentity(IDENTITY.from_addr, None, "https://x.example", None, TOKENS),
            "LEADFLOW_EMAIL_POSTAL_ADDRESS",
        ),
        (EmailIdentity(IDENTITY.from_addr, POSTAL, None, None, TOKENS), "LEADFLOW_PUBLIC_URL"),
        (
            EmailIdentity(IDENTITY.from_addr, POSTAL, "https://x.example", None, None),
            "LEADFLOW_UNSUBSCRIBE_SECRET",
        ),
    ],
)
def test_marketing_mail_without_what_the_law_asks_is_refused(
    identity: EmailIdentity, setting: str
) -> None:
    with pytest.raises(EmailRefused, match=setting) as caught:
        render_email(message(), identity, NOW)
    assert caught.value.retryable is False
    # the same e-mail as transactional mail needs none of it
    render_email(message(payload={"marketing": False}), identity, NOW)


def test_a_message_without_the_marketing_flag_counts_as_marketing() -> None:
    email = render_email(message(payload={}), IDENTITY, NOW)
    assert "List-Unsubscribe" in email.headers


def test_non_ascii_subject_and_names_are_encoded_not_broken() -> None:
    identity = EmailIdentity(
        "Zoë Realty <agent@acme.example>", POSTAL, "https://x.example", None, TOKENS
    )
    mime = render_email(message(subject="Café près de chez vous"), identity, NOW).mime()
    raw = mime.as_bytes()
    assert b"Caf\xc3\xa9" not in raw.split(b"\n\n", 1)[0]  # headers are RFC 2047-encoded
    assert mime["Subject"] == "Café près de chez vous"
    assert mime["From"] == "Zoë Realty <agent@acme.example>"
