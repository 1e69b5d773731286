"""The SendGrid provider against a loopback server speaking SendGrid's v3 mail/send API
(Bearer key, JSON body; 202 + X-Message-Id, or 4xx/5xx with ``errors[]``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.channels.email_ids import outgoing_message_id
from leadflow.channels.email_setup import email_provider
from leadflow.channels.sandbox import SandboxProvider
from leadflow.channels.sendgrid import SendGridProvider
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
    SendGridPeer,
    email_settings,
    email_workflow,
    sendgrid_peer,
)
from support.engine_kit import Kit

NOW = 1_750_000_000.0


@pytest.fixture
def store() -> Iterator[Store]:
    found = open_store("memory://")
    found.upsert_contacts([Contact("c1", email="jane@example.com", tenant_id="acme")], NOW)
    yield found
    found.close()


@pytest.fixture
def peer() -> Iterator[SendGridPeer]:
    with sendgrid_peer() as found:
        yield found


def provider(store: Store, peer: SendGridPeer, key: str | None = None) -> SendGridProvider:
    settings = Settings(
        db="memory://",
        **email_settings(
            email_provider="sendgrid",
            sendgrid_api_key=key or peer.api_key,
            sendgrid_api_base=peer.url,
        ),
    )
    found = email_provider(settings, store, SandboxProvider(store))
    assert isinstance(found, SendGridProvider)
    return found


def message(**kw: Any) -> Message:
    html = "<p>Hi Jane,</p><p>Three new listings.</p>"
    kw = {
        "idempotency_key": "run1:mail:email",
        "id": 21,
        "payload": {"marketing": True, "html": html},
    } | kw
    return email_message(**kw)


def test_a_send_posts_the_documented_json_and_keeps_the_message_id(
    store: Store, peer: SendGridPeer
) -> None:
    sendgrid = provider(store, peer)
    result = sendgrid.send(message(), NOW)
    sendgrid.close()
    assert result.provider_id == "sgid0001AbCdEf" and result.status == "sent"
    (request,) = peer.requests
    assert request.path == "/v3/mail/send"
    assert request.headers["Authorization"] == f"Bearer {peer.api_key}"
    assert request.headers["Content-Type"] == "application/json"
    body = request.body
    assert body["personalizations"] == [{"to": [{"email": "jane@example.com"}]}]
    assert body["from"] == {"email": "agent@acme.example", "name": "Acme Realty"}
    assert body["subject"] == "Homes for you"
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    text, markup = (c["value"] for c in body["content"])
    assert text.startswith("Hi Jane,") and POSTAL in text
    assert markup.startswith("<p>Hi Jane,</p>") and POSTAL in markup
    assert body["custom_args"] == {"leadflow_message_id": "21", "leadflow_key": "run1:mail:email"}
    link = body["headers"]["List-Unsubscribe"].split(">", 1)[0].lstrip("<")
    assert link.startswith(f"{PUBLIC_URL}/u/") and link in text and link in markup
    assert body["headers"] == {
        "List-Unsubscribe": f"<{link}>, <mailto:{MAILTO}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Message-ID": outgoing_message_id(21, "run1:mail:email", "acme.example"),
    }
    assert FROM.startswith(body["from"]["name"])


def test_transactional_mail_has_no_unsubscribe_headers(store: Store, peer: SendGridPeer) -> None:
    provider(store, peer).send(message(payload={"marketing": False}), NOW)
    assert set(peer.requests[0].body["headers"]) == {"Message-ID"}


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (500, True), (503, True), (413, False)]
)
def test_answers_that_are_worth_retrying_and_those_that_are_not(
    store: Store, peer: SendGridPeer, status: int, retryable: bool
) -> None:
    peer.answers.append((status, {"errors": [{"message": f"said with {status}", "field": None}]}))
    with pytest.raises(ProviderError) as caught:
        provider(store, peer).send(message(), NOW)
    assert caught.value.retryable is retryable
    assert caught.value.message == f"SendGrid answered HTTP {status}: said with {status}"


def test_a_bad_request_quotes_sendgrids_error_and_field(store: Store, peer: SendGridPeer) -> None:
    with pytest.raises(ProviderError) as caught:
        provider(store, peer).send(message(subject=""), NOW)
    assert caught.value.retryable is False
    assert caught.value.message == (
        "SendGrid answered HTTP 400: The subject is required. (field subject)"
    )


def test_a_wrong_key_fails_without_ever_showing_the_key(store: Store, peer: SendGridPeer) -> None:
    wrong = "SG.wrong-key-never-printed"
    sendgrid = provider(store, peer, key=wrong)
    with pytest.raises(ProviderError) as caught:
        sendgrid.send(message(), NOW)
    assert caught.value.retryable is False and "HTTP 401" in caught.value.message
    assert wrong not in caught.value.message and wrong not in repr(sendgrid)


def test_sendgrid_unreachable_is_temporary(store: Store) -> None:
    with sendgrid_peer() as gone:
        url = gone.url
    settings = Settings(
        db="memory://",
        **email_settings(email_provider="sendgrid", sendgrid_api_key="SG.k", sendgrid_api_base=url),
    )
    sendgrid = email_provider(settings, store, SandboxProvider(store))
    with pytest.raises(ProviderError, match="SendGrid unreachable") as caught:
        sendgrid.send(message(), NOW)
    assert caught.value.retryable is True


def test_a_workflow_mail_goes_out_once_and_is_found_by_sendgrids_id(
    make_kit: Any, peer: SendGridPeer
) -> None:
    kit: Kit = make_kit(
        **email_settings(
            email_provider="sendgrid", sendgrid_api_key=peer.api_key, sendgrid_api_base=peer.url
        )
    )
    kit.publish(email_workflow())
    kit.add_contact("jane", email="jane@example.com")
    kit.enroll("welcome-mail", "jane")
    kit.settle()
    kit.settle(kit.now + 3600)
    assert len(peer.requests) == 1
    (sent,) = kit.messages()
    assert sent.status == "sent" and sent.provider_id == "sgid0001AbCdEf"
    assert peer.requests[0].body["custom_args"]["leadflow_message_id"] == str(sent.id)
    found = kit.store.find_message_by_provider("sgid0001AbCdEf")
    assert found is not None and found.id == sent.id


def test_a_rate_limited_send_is_tried_again_later(make_kit: Any, peer: SendGridPeer) -> None:
    kit: Kit = make_kit(
        **email_settings(
            email_provider="sendgrid", sendgrid_api_key=peer.api_key, sendgrid_api_base=peer.url
        )
    )
    kit.publish(email_workflow())
    kit.add_contact("jane", email="jane@example.com")
    peer.answers.append((429, {"errors": [{"message": "too many requests"}]}))
    kit.enroll("welcome-mail", "jane")
    kit.settle()
    (waiting,) = kit.messages()
    assert waiting.status == "pending" and "429" in (waiting.error or "")
    kit.settle(kit.now + 2 * 3600)
    (sent,) = kit.messages()
    assert sent.status == "sent" and len(peer.requests) == 2
