"""SendGrid Inbound Parse (``POST /hooks/sendgrid/inbound/{secret}``): real multipart bodies
made by httpx, in both of SendGrid's modes (parsed fields, raw MIME), replies matched to the
e-mail they answer by our Message-ID, else to the sender inside the tenant; wrong secrets and
credentials refused with nothing recorded; automatic answers and opt-out words."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from leadflow.channels import senders
from leadflow.channels.email_ids import outgoing_message_id
from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import Message, MessageFilter
from leadflow.model.senders import EMAIL
from support.api_client import admin_key, member_key
from support.email_app import EmailApp, email_app
from support.email_peers import SendGridPeer, email_workflow, sendgrid_peer
from support.inbound_mail import QUOTE, parse_fields, reply_mime

SECRET = "inbound-secret-0123456789"
URL = f"/hooks/sendgrid/inbound/{SECRET}"


@dataclass
class Inbound:
    app: EmailApp
    peer: SendGridPeer
    jane: Message
    omar: Message

    def post(
        self, fields: dict[str, Any], files: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        """A multipart/form-data post, as SendGrid makes (each field a part without filename)."""
        parts: list[tuple[str, Any]] = [(k, (None, v)) for k, v in fields.items()]
        parts += list((files or {}).items())
        return self.app.client.post(kw.pop("url", URL), files=parts, **kw)

    def our_id(self, msg: Message) -> str:
        return outgoing_message_id(msg.id or 0, msg.idempotency_key, "acme.example")

    def received(self) -> list[Any]:
        return [*self.app.events("email.received"), *self.app.events("email.auto_replied")]


def _app(db_url: str, **settings: Any) -> Iterator[Inbound]:
    with (
        sendgrid_peer() as peer,
        email_app(
            db_url,
            email_provider="sendgrid",
            sendgrid_api_key=peer.api_key,
            sendgrid_api_base=peer.url,
            sendgrid_inbound_secret=SECRET,
            **settings,
        ) as app,
    ):
        rt = app.runtime
        senders.add(rt.store, rt.settings, "acme", EMAIL, "replies@acme.example", 0.0)
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
        yield Inbound(app, peer, sent["jane"], sent["omar"])


@pytest.fixture
def inbound(db_url: str) -> Iterator[Inbound]:
    yield from _app(db_url)


def test_the_sent_mail_carries_our_message_id(inbound: Inbound) -> None:
    ids = {
        r.body["personalizations"][0]["to"][0]["email"]: r.body["headers"]["Message-ID"]
        for r in inbound.peer.requests
    }
    assert ids["jane@example.com"] == inbound.our_id(inbound.jane)
    assert ids["omar@example.com"] == inbound.our_id(inbound.omar)


def test_a_parsed_reply_is_matched_by_in_reply_to_and_stripped(inbound: Inbound) -> None:
    fields = parse_fields(
        "Jane Doe <jane.personal@mail.example.com>",  # not the address we wrote to
        "Yes, Saturday at 11 works for me." + QUOTE,
        in_reply_to=inbound.our_id(inbound.jane),
    )
    response = inbound.post(
        fields, files={"attachment1": ("plan.pdf", b"%PDF-1.4\x00\x01", "application/pdf")}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "recorded": 1,
        "duplicates": 0,
        "matched_by": "in_reply_to",
        "auto_reply": False,
        "routed": True,
    }
    (event,) = inbound.received()
    assert event.type == "email.received" and event.contact_id == "jane"
    assert event.data["text"] == "Yes, Saturday at 11 works for me."
    assert event.data["message_id"] == inbound.jane.id
    assert event.data["in_reply_to"] == inbound.our_id(inbound.jane)
    assert event.data["email_message_id"] == "<reply-parsed-1@mail.example.com>"
    assert event.data["auto_reply"] is False and event.data["subject"] == "Re: Homes near Jane"
    again = inbound.post(fields)  # SendGrid retrying the same post
    assert again.json()["recorded"] == 0 and again.json()["duplicates"] == 1
    assert len(inbound.received()) == 1


def test_a_raw_mime_reply_in_latin_1_falls_back_to_the_sender(inbound: Inbound) -> None:
    raw = reply_mime("Omar <omar@example.com>", "Sí, me interesa. ¿Cuándo?", charset="iso-8859-1")
    assert "Cu\xe1ndo".encode("latin-1") in raw or b"=E1" in raw  # really latin-1 on the wire
    fields = {
        "envelope": json.dumps({"to": ["replies@acme.example"], "from": "omar@example.com"}),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8"}),
        "from": "Omar <omar@example.com>",
        "to": "replies@acme.example",
        "subject": "Re: Homes",
    }
    files = {"email": (None, raw, None)}  # the whole message, as its bytes
    response = inbound.post(fields, files=files)
    assert response.status_code == 200, response.text
    assert response.json()["matched_by"] == "from"
    (event,) = inbound.received()
    assert event.contact_id == "omar" and event.data["text"] == "Sí, me interesa. ¿Cuándo?"
    assert event.data["message_id"] is None  # no header named it; the engine takes the last one


def test_wrong_secret_no_secret_and_wrong_basic_auth_record_nothing(db_url: str) -> None:
    for inbound in _app(db_url, sendgrid_inbound_username="sg", sendgrid_inbound_password="pw-123"):
        fields = parse_fields("jane@example.com", "Hello")
        good = "Basic " + base64.b64encode(b"sg:pw-123").decode()
        bad = "Basic " + base64.b64encode(b"sg:nope").decode()
        assert (
            inbound.post(fields, url=URL[:-1] + "X", headers={"Authorization": good}).status_code
            == 404
        )
        assert inbound.post(
            fields, url="/hooks/sendgrid/inbound/", headers={"Authorization": good}
        ).status_code in (404, 405)
        assert inbound.post(fields, headers={"Authorization": bad}).status_code == 401
        assert inbound.post(fields).status_code == 401
        assert inbound.received() == []
        assert inbound.post(fields, headers={"Authorization": good}).status_code == 200
        assert len(inbound.received()) == 1


def test_the_hook_is_off_without_a_secret(db_url: str) -> None:
    with email_app(db_url) as app:
        fields = parse_fields("jane@example.com", "Hello")
        response = app.client.post("/hooks/sendgrid/inbound/anything-at-all-123", data=fields)
        assert response.status_code == 404
        assert app.events("email.received") == []


def test_malformed_posts_are_422_naming_the_field(inbound: Inbound) -> None:
    fields = parse_fields("jane@example.com", "Hello")
    no_sender = {k: v for k, v in fields.items() if k != "from"}
    no_sender["headers"] = "Subject: hi\n"
    response = inbound.post(no_sender)
    assert response.status_code == 422 and "from" in response.text
    response = inbound.app.client.post(
        URL, content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and "content-type" in response.text
    response = inbound.post({**fields, "envelope": "{not json"})
    assert response.status_code == 422 and "envelope" in response.text
    assert inbound.received() == []


def test_auto_replies_are_recorded_as_such_and_are_no_reply(inbound: Inbound) -> None:
    by_header = parse_fields(
        "jane@example.com",
        "I am away until Monday.",
        in_reply_to=inbound.our_id(inbound.jane),
        extra_headers={"Auto-Submitted": "auto-replied"},
    )
    assert inbound.post(by_header).json()["auto_reply"] is True
    by_subject = parse_fields(
        "omar@example.com", "Estoy fuera.", subject="Fuera de la oficina: Re: Homes"
    )
    by_subject["headers"] = by_subject["headers"].replace("reply-parsed-1", "reply-parsed-2")
    assert inbound.post(by_subject).json()["auto_reply"] is True
    assert inbound.app.events("email.received") == []
    kinds = sorted(
        (e.contact_id, e.data["auto_reply_reason"])
        for e in inbound.app.events("email.auto_replied")
    )
    assert kinds == [("jane", "Auto-Submitted: auto-replied"), ("omar", "subject: out of office")]


def test_a_reply_asking_to_stop_opts_the_contact_out_of_email(inbound: Inbound) -> None:
    fields = parse_fields(
        "jane@example.com",
        "Please remove me from this list." + QUOTE,
        in_reply_to=inbound.our_id(inbound.jane),
    )
    assert inbound.post(fields).status_code == 200
    assert inbound.app.contact("jane").consent.get("email") == "opted_out"
    (unsub,) = inbound.app.events("email.unsubscribed")
    assert unsub.data["source"] == "email_reply" and unsub.data["message_id"] == inbound.jane.id
    assert inbound.app.contact("omar").consent.get("email") != "opted_out"


def test_a_reply_naming_another_tenants_message_does_not_reach_it(db_url: str) -> None:
    for inbound in _app(db_url, sendgrid_inbound_tenant="other"):
        fields = parse_fields("jane@example.com", "Yes", in_reply_to=inbound.our_id(inbound.jane))
        body = inbound.post(fields).json()
        assert body["matched_by"] == "none"
        events = inbound.received()
        assert [(e.contact_id, e.data["tenant_id"], e.data["message_id"]) for e in events] == [
            (None, "other", None)
        ]


def test_a_forged_message_id_tag_matches_nothing(inbound: Inbound) -> None:
    forged = f"<lf.{inbound.jane.id}.000000000000@acme.example>"
    fields = parse_fields("stranger@evil.example", "hi", in_reply_to=forged)
    assert inbound.post(fields).json()["matched_by"] == "none"
    (event,) = inbound.received()
    assert event.contact_id is None and event.data["message_id"] is None


# ------------------------------------------------------------------ a tenant's own hook
def _rotate(inbound: Inbound, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return inbound.app.client.post("/api/v1/inbound-email/sendgrid-secret", headers=headers)


def test_a_tenant_admin_makes_its_own_hook_and_rotation_retires_the_old(
    inbound: Inbound, db_url: str
) -> None:
    token = admin_key(db_url, "acme")
    first = _rotate(inbound, token)
    assert first.status_code == 200, first.text
    hook = first.json()
    assert hook["tenant_id"] == "acme" and hook["path"].startswith("/hooks/sendgrid/inbound/acme/")
    assert hook["secret"] not in (
        inbound.app.runtime.store.get_meta("sendgrid_inbound_secret:acme") or ""
    )
    fields = parse_fields("jane@example.com", "Yes!", in_reply_to=inbound.our_id(inbound.jane))
    response = inbound.post(fields, url=hook["path"])
    assert response.status_code == 200 and response.json()["matched_by"] == "in_reply_to"
    second = _rotate(inbound, token).json()
    assert inbound.post(fields, url=hook["path"]).status_code == 404  # the old secret is dead
    assert inbound.post(fields, url=second["path"]).json()["duplicates"] == 1
    assert len(inbound.received()) == 1


def test_a_tenants_hook_is_a_wall(inbound: Inbound, db_url: str) -> None:
    acme = _rotate(inbound, admin_key(db_url, "acme")).json()
    other = _rotate(inbound, admin_key(db_url, "other")).json()
    fields = parse_fields("jane@example.com", "Yes", in_reply_to=inbound.our_id(inbound.jane))
    # acme's secret under another tenant's name, and the other way round: as if no route
    swapped = f"/hooks/sendgrid/inbound/other/{acme['secret']}"
    assert inbound.post(fields, url=swapped).status_code == 404
    assert (
        inbound.post(fields, url=f"/hooks/sendgrid/inbound/nobody/{acme['secret']}").status_code
        == 404
    )
    assert inbound.received() == []
    # the other tenant's own hook, given a reply naming acme's message: not acme's contact
    body = inbound.post(fields, url=other["path"]).json()
    assert body["matched_by"] == "none"
    (event,) = inbound.received()
    assert event.contact_id is None and event.data["tenant_id"] == "other"
    assert event.data["message_id"] is None


def test_only_an_admin_makes_the_hook(inbound: Inbound, db_url: str) -> None:
    agent = member_key(db_url, "agent", "M1")
    response = _rotate(inbound, agent)
    assert response.status_code == 403
    assert inbound.app.runtime.store.get_meta("sendgrid_inbound_secret:acme") is None
    assert inbound.app.client.post("/api/v1/inbound-email/sendgrid-secret").status_code == 401
