"""``/u/{token}``: GET only shows a page; POST (one-click or the page's button) unsubscribes
at once, once; anything but a valid token is refused, logged without the token."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from leadflow.channels.unsubscribe import Subscriber, UnsubscribeTokens
from support.email_app import T0, EmailApp, email_app
from support.email_peers import SECRET

ONE_CLICK = {"content": b"List-Unsubscribe=One-Click"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def app(db_url: str) -> Iterator[EmailApp]:
    with email_app(db_url) as found:
        yield found


def token_for(contact: str = "jane", tenant: str = "acme", message: int | None = 5) -> str:
    return UnsubscribeTokens(SECRET).issue(Subscriber(tenant, contact, "email", message), T0)


def test_get_shows_a_confirmation_page_and_changes_nothing(app: EmailApp) -> None:
    token = token_for()
    for _ in range(3):  # a link scanner, a preview, the person
        page = app.client.get(f"/u/{token}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert f'<form method="post" action="/u/{token}">' in page.text
        assert 'name="confirm" value="unsubscribe"' in page.text
        assert "Acme Realty" in page.text and "set-cookie" not in page.headers
    assert app.events() == []
    assert app.contact("jane").consent.get("email") != "opted_out"


def test_one_click_post_unsubscribes_at_once(app: EmailApp) -> None:
    app.clock.advance(90)
    done = app.client.post(f"/u/{token_for()}", headers=FORM, **ONE_CLICK)
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    (event,) = app.events("email.unsubscribed")
    assert event.contact_id == "jane" and event.occurred_at == T0 + 90
    assert event.data["source"] == "list_unsubscribe_post"
    assert event.data["message_id"] == 5
    assert "List-Unsubscribe=One-Click" in event.data["evidence"]
    jane = app.contact("jane")
    assert jane.consent["email"] == "opted_out"
    assert jane.fields["consent_history"] == [
        {
            "channel": "email",
            "state": "opted_out",
            "source": "list_unsubscribe_post",
            "at": T0 + 90,
            "evidence": event.data["evidence"],
            "event_id": event.id,
        }
    ]
    assert app.contact("omar").consent.get("email") != "opted_out"


def test_a_second_post_changes_nothing(app: EmailApp) -> None:
    token = token_for()
    first = app.client.post(f"/u/{token}", headers=FORM, **ONE_CLICK)
    app.clock.advance(3600)
    again = app.client.post(f"/u/{token}", headers=FORM, content=b"confirm=unsubscribe")
    assert first.status_code == again.status_code == 200
    assert len(app.events("email.unsubscribed")) == 1
    assert len(app.contact("jane").fields["consent_history"]) == 1


def test_the_page_button_unsubscribes_too(app: EmailApp) -> None:
    done = app.client.post(f"/u/{token_for()}", headers=FORM, content=b"confirm=unsubscribe")
    assert done.status_code == 200
    (event,) = app.events("email.unsubscribed")
    assert event.data["source"] == "unsubscribe_page"
    assert app.contact("jane").consent["email"] == "opted_out"


def test_a_multipart_one_click_post_is_understood(app: EmailApp) -> None:
    body = (
        b'--b1\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        b"One-Click\r\n--b1--\r\n"
    )
    done = app.client.post(
        f"/u/{token_for()}",
        headers={"Content-Type": "multipart/form-data; boundary=b1"},
        content=body,
    )
    assert done.status_code == 200
    assert app.events("email.unsubscribed")[0].data["source"] == "list_unsubscribe_post"


def test_a_post_without_either_form_does_nothing(app: EmailApp) -> None:
    done = app.client.post(f"/u/{token_for()}", headers=FORM, content=b"hello=1")
    assert done.status_code == 400
    assert app.events() == []
    assert app.contact("jane").consent.get("email") != "opted_out"


def test_messages_of_another_link_each_record_their_own_event(app: EmailApp) -> None:
    app.client.post(f"/u/{token_for(message=5)}", headers=FORM, **ONE_CLICK)
    app.client.post(f"/u/{token_for(message=6)}", headers=FORM, **ONE_CLICK)
    assert [e.data["message_id"] for e in app.events("email.unsubscribed")] == [5, 6]
    assert len(app.contact("jane").fields["consent_history"]) == 1  # opted out once


def _forgeries() -> list[str]:
    good = token_for()
    other_key = UnsubscribeTokens("another-installations-secret-42").issue(
        Subscriber("acme", "jane", "email", 5), T0
    )
    flipped = good[:40] + ("A" if good[40] != "A" else "B") + good[41:]
    sms = UnsubscribeTokens(SECRET).issue(Subscriber("acme", "jane", "sms", 5), T0)
    return ["jane", other_key, flipped, sms, "x" * 2000]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_forged_tokens_get_a_404_page_and_a_warning_without_the_token(
    app: EmailApp, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="leadflow.api.unsubscribe")
    for forged in _forgeries():
        caplog.clear()
        answer = app.client.request(method, f"/u/{forged}", headers=FORM, **ONE_CLICK)
        assert answer.status_code == 404, forged
        assert "not valid" in answer.text and answer.headers["content-type"].startswith("text/html")
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and f"unsubscribe {method} refused" in warnings[0].getMessage()
        assert forged[:30] not in warnings[0].getMessage()
    assert app.events() == []
    assert app.contact("jane").consent.get("email") != "opted_out"


def test_a_token_whose_tenant_is_not_the_contacts_is_refused(app: EmailApp) -> None:
    answer = app.client.post(f"/u/{token_for(tenant='other')}", headers=FORM, **ONE_CLICK)
    assert answer.status_code == 404
    assert app.events() == []


def test_a_contact_removed_since_gets_a_done_page(app: EmailApp) -> None:
    answer = app.client.post(f"/u/{token_for(contact='nobody')}", headers=FORM, **ONE_CLICK)
    assert answer.status_code == 200
    assert app.events() == []


def test_without_an_unsubscribe_secret_every_token_is_refused(db_url: str) -> None:
    with email_app(db_url, unsubscribe_secret=None) as app:
        answer = app.client.post(f"/u/{token_for()}", headers=FORM, **ONE_CLICK)
        assert answer.status_code == 404
        assert app.events() == []


def test_the_routes_are_not_in_the_openapi_document(app: EmailApp) -> None:
    paths = app.client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/u/", "/webhooks/sendgrid"))]
