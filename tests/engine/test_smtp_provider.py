"""The SMTP provider against a real SMTP server on loopback (aiosmtpd): plain, STARTTLS with
AUTH, implicit TLS; the relay's answers mapped to retry or fail; and a workflow's e-mail
delivered once through the worker. The server's self-signed certificate is trusted through
``LEADFLOW_SMTP_CA_FILE`` (verification stays on; an untrusted certificate is refused)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadflow.channels.email_setup import email_provider
from leadflow.channels.sandbox import SandboxProvider
from leadflow.channels.smtp import SmtpProvider
from leadflow.channels.unsubscribe import Subscriber, UnsubscribeTokens
from leadflow.errors import ProviderError
from leadflow.model.records import Contact, Message
from leadflow.settings import Settings
from leadflow.store import Store, open_store
from support.email_messages import email_message
from support.email_peers import (
    FROM,
    MAILTO,
    POSTAL,
    PUBLIC_URL,
    SECRET,
    Certificate,
    SmtpPeer,
    email_settings,
    email_workflow,
    free_port,
    self_signed,
    smtp_peer,
)
from support.engine_kit import Kit

NOW = 1_750_000_000.0
PASSWORD = "relay-password-never-printed"


@pytest.fixture
def store() -> Iterator[Store]:
    found = open_store("memory://")
    found.upsert_contacts([Contact("c1", email="jane@example.com", tenant_id="acme")], NOW)
    yield found
    found.close()


@pytest.fixture
def cert(tmp_path: Path) -> Certificate:
    return self_signed(tmp_path)


def provider(store: Store, peer: SmtpPeer, **extra: Any) -> SmtpProvider:
    settings = Settings(
        db="memory://",
        **email_settings(email_provider="smtp", smtp_host=peer.host, smtp_port=peer.port, **extra),
    )
    found = email_provider(settings, store, SandboxProvider(store))
    assert isinstance(found, SmtpProvider)
    return found


def message(**kw: Any) -> Message:
    return email_message(**({"id": 11} | kw))


def test_plain_smtp_delivers_the_rendered_mail(store: Store) -> None:
    with smtp_peer("plain") as peer:
        result = provider(store, peer, smtp_security="none").send(message(), NOW)
    assert len(peer.mails) == 1
    mail = peer.mails[0]
    assert mail.mail_from == "agent@acme.example" and mail.rcpt_tos == ["jane@example.com"]
    assert mail.tls is False and mail.login is None
    mime = mail.message
    assert mime["Message-ID"] == result.provider_id and result.status == "sent"
    assert result.provider_id.endswith("@acme.example>")
    assert mime["From"] == FROM and mime["To"] == "jane@example.com"
    assert mime["Subject"] == "Homes for you"
    assert mime.get_content_type() == "multipart/alternative"
    text = mime.get_body(("plain",))
    markup = mime.get_body(("html",))
    assert text is not None and markup is not None
    text_part, html_part = text.get_content(), markup.get_content()  # type: ignore[attr-defined]
    unsubscribe = mime["List-Unsubscribe"]
    link = unsubscribe.split(">", 1)[0].lstrip("<")
    assert link.startswith(f"{PUBLIC_URL}/u/")
    assert unsubscribe == f"<{link}>, <mailto:{MAILTO}?subject=unsubscribe>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert POSTAL in text_part and POSTAL in html_part
    assert link in text_part and link in html_part
    token = link.rsplit("/", 1)[1]
    assert UnsubscribeTokens(SECRET).read(token) == Subscriber("acme", "c1", "email", 11)


def test_starttls_with_login_on_587_style_relay(store: Store, cert: Certificate) -> None:
    with smtp_peer("starttls", cert=cert, users={"agent": PASSWORD}) as peer:
        smtp = provider(
            store,
            peer,
            smtp_security="starttls",
            smtp_username="agent",
            smtp_password=PASSWORD,
            smtp_ca_file=str(cert.cert_file),
        )
        smtp.send(message(), NOW)
    assert [m.tls for m in peer.mails] == [True]
    assert peer.logins == ["agent"] and peer.mails[0].login == "agent"
    assert PASSWORD not in repr(smtp)


def test_implicit_tls_on_465_style_relay(store: Store, cert: Certificate) -> None:
    with smtp_peer("tls", cert=cert) as peer:
        provider(store, peer, smtp_security="tls", smtp_ca_file=str(cert.cert_file)).send(
            message(), NOW
        )
    assert [m.tls for m in peer.mails] == [True]


def test_a_certificate_nobody_vouches_for_is_refused(store: Store, cert: Certificate) -> None:
    with smtp_peer("starttls", cert=cert) as peer, pytest.raises(ProviderError, match="SMTP"):
        provider(store, peer, smtp_security="starttls").send(message(), NOW)
    assert peer.mails == []


def test_a_wrong_password_fails_for_good_without_printing_it(
    store: Store, cert: Certificate
) -> None:
    with smtp_peer("starttls", cert=cert, users={"agent": "the-right-one"}) as peer:
        smtp = provider(
            store,
            peer,
            smtp_username="agent",
            smtp_password=PASSWORD,
            smtp_ca_file=str(cert.cert_file),
        )
        with pytest.raises(ProviderError) as caught:
            smtp.send(message(), NOW)
    assert caught.value.retryable is False and "SMTP 535" in caught.value.message
    assert PASSWORD not in caught.value.message
    assert peer.mails == []


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("550 5.1.1 No such user here", False), ("451 4.3.0 Mailbox busy, try later", True)],
)
def test_the_relay_refusing_the_recipient(store: Store, reply: str, retryable: bool) -> None:
    with smtp_peer("plain") as peer:
        peer.rcpt_replies["jane@example.com"] = reply
        with pytest.raises(ProviderError) as caught:
            provider(store, peer, smtp_security="none").send(message(), NOW)
    assert caught.value.retryable is retryable
    assert caught.value.message.startswith(f"SMTP {reply[:3]}")
    assert peer.mails == []


def test_no_relay_listening_is_temporary(store: Store) -> None:
    settings = Settings(
        db="memory://",
        **email_settings(
            email_provider="smtp", smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_s=5
        ),
    )
    smtp = email_provider(settings, store, SandboxProvider(store))
    with pytest.raises(ProviderError, match="unreachable") as caught:
        smtp.send(message(), NOW)
    assert caught.value.retryable is True


def test_marketing_mail_without_a_postal_address_never_reaches_the_relay(store: Store) -> None:
    with smtp_peer("plain") as peer:
        smtp = provider(store, peer, smtp_security="none", email_postal_address=None)
        with pytest.raises(ProviderError, match="LEADFLOW_EMAIL_POSTAL_ADDRESS") as caught:
            smtp.send(message(), NOW)
        smtp.send(message(payload={"marketing": False}, idempotency_key="k2"), NOW)
    assert caught.value.retryable is False
    assert len(peer.mails) == 1 and peer.mails[0].message["List-Unsubscribe"] is None


def test_lookup_cannot_tell(store: Store) -> None:
    with smtp_peer("plain") as peer:
        assert provider(store, peer, smtp_security="none").lookup("k1") is None


# ---------------------------------------------------------------------- through the worker
def test_a_workflow_mail_goes_out_once_through_the_worker(make_kit: Any) -> None:
    with smtp_peer("plain") as peer:
        kit: Kit = make_kit(
            **email_settings(
                email_provider="smtp",
                smtp_host=peer.host,
                smtp_port=peer.port,
                smtp_security="none",
            )
        )
        kit.publish(email_workflow())
        kit.add_contact("jane", email="jane@example.com")
        kit.enroll("welcome-mail", "jane")
        kit.settle()
        kit.settle(kit.now + 3600)
    assert len(peer.mails) == 1
    (sent,) = kit.messages()
    assert sent.status == "sent" and sent.attempts == 1
    mime = peer.mails[0].message
    assert sent.provider_id == mime["Message-ID"]
    assert mime["Subject"] == "Homes near Jane"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert kit.store.find_message_by_provider(mime["Message-ID"]) is not None


def test_a_refused_mailbox_fails_the_message_and_a_busy_one_is_retried(make_kit: Any) -> None:
    with smtp_peer("plain") as peer:
        kit: Kit = make_kit(
            **email_settings(
                email_provider="smtp",
                smtp_host=peer.host,
                smtp_port=peer.port,
                smtp_security="none",
            )
        )
        kit.publish(email_workflow())
        kit.add_contact("gone", email="gone@example.com")
        kit.add_contact("busy", email="busy@example.com")
        peer.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"
        peer.rcpt_replies["busy@example.com"] = "452 4.2.2 Mailbox full"
        kit.enroll("welcome-mail", "gone", "busy")
        kit.settle()
        by_to = {m.to: m for m in kit.messages()}
        assert by_to["gone@example.com"].status == "failed"
        assert "SMTP 550" in (by_to["gone@example.com"].error or "")
        assert by_to["busy@example.com"].status == "pending"
        del peer.rcpt_replies["busy@example.com"]
        kit.settle(kit.now + 2 * 3600)
        by_to = {m.to: m for m in kit.messages()}
    assert by_to["busy@example.com"].status == "sent"
    assert [m.rcpt_tos for m in peer.mails] == [["busy@example.com"]]
