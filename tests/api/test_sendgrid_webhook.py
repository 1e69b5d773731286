"""``/webhooks/sendgrid/events``: SendGrid's signed event posts become our events once each;
machine opens never count as opens; forged, stale or unsigned posts change nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import Message, MessageFilter
from support.email_app import EmailApp, email_app
from support.email_peers import EventSigner, email_workflow, sendgrid_peer


@dataclass
class Hook:
    app: EmailApp
    signer: EventSigner
    jane: Message
    omar: Message

    def post(self, events: list[dict[str, Any]] | bytes, **kw: Any) -> httpx.Response:
        body = events if isinstance(events, bytes) else json.dumps(events).encode()
        headers = self.signer.headers(body, kw.pop("at", self.app.clock.now()))
        headers |= kw.pop("headers", {})
        return self.app.client.post("/webhooks/sendgrid/events", content=body, headers=headers)

    def work(self) -> None:
        worker = self.app.runtime.worker("t")
        for _ in range(5):
            worker.tick(self.app.clock.now())

    def message(self, which: Message) -> Message:
        assert which.id is not None
        found = self.app.runtime.store.get_message(which.id)
        assert found is not None
        return found


@pytest.fixture
def signer() -> EventSigner:
    return EventSigner()


@pytest.fixture
def hook(db_url: str, signer: EventSigner) -> Iterator[Hook]:
    with (
        sendgrid_peer() as peer,
        email_app(
            db_url,
            email_provider="sendgrid",
            sendgrid_api_key=peer.api_key,
            sendgrid_api_base=peer.url,
            sendgrid_webhook_public_key=signer.public_key_b64,
        ) as app,
    ):
        rt = app.runtime
        publish(rt.store, rt.engine.catalog, email_workflow(), app.clock.now(), tenant_id="acme")
        enroll(
            rt.store,
            rt.engine.catalog,
            "welcome-mail",
            app.clock.now(),
            contact_ids=["jane", "omar"],
            tenant_id="acme",
        )
        rt.worker("t").tick(app.clock.now())
        sent = {m.contact_id: m for m in rt.store.list_messages(MessageFilter(limit=10))}
        assert {m.status for m in sent.values()} == {"sent"}
        app.clock.advance(60)
        yield Hook(app, signer, sent["jane"], sent["omar"])


def event(kind: str, msg: Message, n: int, at: float, **extra: Any) -> dict[str, Any]:
    """An event as SendGrid posts it (custom_args flattened into the event, as it does)."""
    return {
        "email": msg.to,
        "timestamp": int(at),
        "event": kind,
        "sg_event_id": f"ev-{kind}-{n}",
        "sg_message_id": f"{msg.provider_id}.filterdrecv-5bd8c4f6d6-abcde-1-6674E9C8-1.0",
        "leadflow_message_id": str(msg.id),
        "leadflow_key": msg.idempotency_key,
        **extra,
    }


def test_delivered_open_and_click_become_message_facts(hook: Hook) -> None:
    at = hook.app.clock.now() - 30
    answer = hook.post(
        [
            event("processed", hook.jane, 1, at),
            event("delivered", hook.jane, 2, at),
            event("open", hook.jane, 3, at + 5, sg_machine_open=False, useragent="Mozilla/5.0"),
            event("click", hook.jane, 4, at + 9, url="https://acme.example/listing/9"),
        ]
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "received": 4,
        "recorded": 3,
        "duplicates": 0,
        "unknown_message": 0,
        "not_recorded": 1,
    }
    types = [e.type for e in hook.app.events() if e.data.get("provider") == "sendgrid"]
    assert types == ["email.delivered", "email.opened", "email.clicked"]
    clicked = hook.app.events("email.clicked")[0]
    assert clicked.data["url"] == "https://acme.example/listing/9"
    assert clicked.data["message_id"] == hook.jane.id and clicked.contact_id == "jane"
    assert clicked.dedupe_key == "sendgrid:ev-click-4" and clicked.occurred_at == at + 9
    hook.work()
    jane = hook.message(hook.jane)
    assert jane.status == "delivered" and jane.delivered_at == at
    assert jane.opened_at == at + 5 and jane.clicked_at == at + 9
    assert hook.message(hook.omar).opened_at is None


def test_a_machine_open_is_history_and_never_an_open(hook: Hook) -> None:
    at = hook.app.clock.now() - 10
    answer = hook.post([event("open", hook.jane, 1, at, sg_machine_open=True)])
    assert answer.json()["recorded"] == 1
    assert hook.app.events("email.opened") == []
    (machine,) = hook.app.events("email.machine_opened")
    assert machine.processed_at is not None  # nothing will ever act on it
    hook.work()
    assert hook.message(hook.jane).opened_at is None


def test_a_batch_posted_again_changes_nothing(hook: Hook) -> None:
    at = hook.app.clock.now()
    batch = [event("delivered", hook.jane, 1, at), event("open", hook.omar, 2, at)]
    first = hook.post(batch)
    before = hook.app.events()
    hook.app.clock.advance(120)
    again = hook.post(batch)
    assert first.json()["recorded"] == 2
    assert again.json() == {
        "received": 2,
        "recorded": 0,
        "duplicates": 2,
        "unknown_message": 0,
        "not_recorded": 0,
    }
    assert hook.app.events() == before


def test_a_bounce_fails_the_message_with_its_reason(hook: Hook) -> None:
    at = hook.app.clock.now()
    hook.post(
        [
            event(
                "bounce",
                hook.omar,
                1,
                at,
                type="bounce",
                reason="550 5.1.1 The email account that you tried to reach does not exist",
            ),
            event("dropped", hook.jane, 2, at, reason="Bounced Address"),
        ]
    )
    hook.work()
    omar, jane = hook.message(hook.omar), hook.message(hook.jane)
    assert omar.status == "failed"
    assert omar.error == (
        "bounce (bounce): 550 5.1.1 The email account that you tried to reach does not exist"
    )
    assert jane.status == "failed" and jane.error == "dropped (dropped): Bounced Address"


def test_without_custom_args_the_message_is_found_by_sendgrids_id(hook: Hook) -> None:
    found = event("delivered", hook.omar, 1, hook.app.clock.now())
    del found["leadflow_message_id"], found["leadflow_key"]
    assert hook.post([found]).json()["recorded"] == 1
    (delivered,) = hook.app.events("email.delivered")
    assert delivered.data["message_id"] == hook.omar.id and delivered.contact_id == "omar"


def test_events_of_unknown_messages_are_counted_not_recorded(hook: Hook) -> None:
    stray = event("delivered", hook.jane, 1, hook.app.clock.now())
    stray["leadflow_message_id"] = "999999"
    stray["sg_message_id"] = "notours.filter0001"
    answer = hook.post([stray, {"event": "delivered"}])  # the second has no sg_event_id
    assert answer.json() == {
        "received": 2,
        "recorded": 0,
        "duplicates": 0,
        "unknown_message": 1,
        "not_recorded": 1,
    }
    assert hook.app.events("email.delivered") == []


@pytest.mark.parametrize("kind", ["unsubscribe", "group_unsubscribe", "spamreport"])
def test_unsubscribes_and_spam_reports_opt_the_contact_out(hook: Hook, kind: str) -> None:
    at = hook.app.clock.now() - 5
    hook.post([event(kind, hook.jane, 1, at, asm_group_id=12)])
    wanted = "email.spam_reported" if kind == "spamreport" else "email.unsubscribed"
    (recorded,) = hook.app.events(wanted)
    assert recorded.contact_id == "jane" and recorded.data["source"] == f"sendgrid_{kind}"
    jane = hook.app.contact("jane")
    assert jane.consent["email"] == "opted_out"
    (entry,) = jane.fields["consent_history"]
    assert entry["event_id"] == recorded.id and entry["at"] == at
    assert entry["source"] == f"sendgrid_{kind}"
    assert hook.app.contact("omar").consent.get("email") != "opted_out"


def test_a_group_resubscribe_is_not_recorded(hook: Hook) -> None:
    answer = hook.post([event("group_resubscribe", hook.jane, 1, hook.app.clock.now())])
    assert answer.json()["not_recorded"] == 1 and hook.app.events("email.unsubscribed") == []


# ---------------------------------------------------------------------- refusals
def _refused(hook: Hook, answer: httpx.Response, caplog: pytest.LogCaptureFixture) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("SendGrid event post refused")
    sent = answer.request
    assert sent.content.decode()[:20] not in warnings[0]
    signature = sent.headers.get("X-Twilio-Email-Event-Webhook-Signature")
    assert not signature or signature[:16] not in warnings[0]
    assert hook.app.events("email.delivered") == []


def test_a_forged_body_is_refused(hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="leadflow.api.sendgrid")
    signed = json.dumps([event("delivered", hook.jane, 1, hook.app.clock.now())]).encode()
    forged = signed.replace(b"ev-delivered-1", b"ev-delivered-2")
    headers = hook.signer.headers(signed, hook.app.clock.now())
    answer = hook.app.client.post("/webhooks/sendgrid/events", content=forged, headers=headers)
    _refused(hook, answer, caplog)


def test_another_key_is_refused(hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="leadflow.api.sendgrid")
    hook.signer = EventSigner()
    _refused(hook, hook.post([event("delivered", hook.jane, 1, hook.app.clock.now())]), caplog)


@pytest.mark.parametrize("offset", [-601, 601, -3600])
def test_a_stale_or_future_timestamp_is_refused(
    hook: Hook, caplog: pytest.LogCaptureFixture, offset: float
) -> None:
    caplog.set_level(logging.WARNING, logger="leadflow.api.sendgrid")
    now = hook.app.clock.now()
    answer = hook.post([event("delivered", hook.jane, 1, now)], at=now + offset)
    _refused(hook, answer, caplog)


@pytest.mark.parametrize(
    "drop", ["X-Twilio-Email-Event-Webhook-Signature", "X-Twilio-Email-Event-Webhook-Timestamp"]
)
def test_a_missing_header_is_refused(
    hook: Hook, caplog: pytest.LogCaptureFixture, drop: str
) -> None:
    caplog.set_level(logging.WARNING, logger="leadflow.api.sendgrid")
    body = json.dumps([event("delivered", hook.jane, 1, hook.app.clock.now())]).encode()
    headers = hook.signer.headers(body, hook.app.clock.now())
    del headers[drop]
    answer = hook.app.client.post("/webhooks/sendgrid/events", content=body, headers=headers)
    _refused(hook, answer, caplog)


def test_within_ten_minutes_a_timestamp_is_accepted(hook: Hook) -> None:
    now = hook.app.clock.now()
    assert hook.post([event("delivered", hook.jane, 1, now)], at=now - 590).status_code == 200


def test_a_signed_body_that_is_not_an_event_array_is_a_422(hook: Hook) -> None:
    answer = hook.post(b'{"event": "delivered"}')
    assert answer.status_code == 422
    assert "JSON array of events" in answer.json()["detail"]


def test_without_a_configured_key_every_post_is_refused(
    db_url: str, signer: EventSigner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="leadflow.api.sendgrid")
    with email_app(db_url) as app:
        body = b"[]"
        answer = app.client.post(
            "/webhooks/sendgrid/events", content=body, headers=signer.headers(body, app.clock.now())
        )
        assert answer.status_code == 403
    assert "LEADFLOW_SENDGRID_WEBHOOK_PUBLIC_KEY is not set" in caplog.text


def test_the_key_may_be_given_as_pem(db_url: str, signer: EventSigner) -> None:
    with email_app(db_url, sendgrid_webhook_public_key=signer.public_key_pem) as app:
        body = b"[]"
        answer = app.client.post(
            "/webhooks/sendgrid/events", content=body, headers=signer.headers(body, app.clock.now())
        )
        assert answer.status_code == 200 and answer.json()["received"] == 0
