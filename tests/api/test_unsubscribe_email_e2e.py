"""From the inbox back to the app: a marketing e-mail sent by the worker through a real SMTP
server carries a one-click link; POSTing it (as a mail client does) unsubscribes the contact,
and the workflow's next e-mail is held back."""

from __future__ import annotations

from urllib.parse import urlsplit

from leadflow.engine.workflows import enroll, publish
from leadflow.model.records import MessageFilter
from support.email_app import email_app
from support.email_peers import PUBLIC_URL, smtp_peer

DRIP = {
    "key": "drip",
    "name": "Two e-mails a day apart",
    "start": "first",
    "nodes": [
        {
            "id": "first",
            "kind": "send_email",
            "subject": "Homes for {{ contact.first_name }}",
            "body": "Three new listings.",
            "next": "pause",
        },
        {"id": "pause", "kind": "wait", "duration": "1d", "next": "second"},
        {"id": "second", "kind": "send_email", "subject": "More homes", "body": "Two more."},
    ],
}


def test_the_one_click_link_of_a_sent_mail_stops_the_next_one(db_url: str) -> None:
    with (
        smtp_peer("plain") as peer,
        email_app(
            db_url,
            email_provider="smtp",
            smtp_host=peer.host,
            smtp_port=peer.port,
            smtp_security="none",
        ) as app,
    ):
        rt, clock = app.runtime, app.clock
        publish(rt.store, rt.engine.catalog, DRIP, clock.now(), tenant_id="acme")
        ids = ["jane", "omar"]
        enroll(rt.store, rt.engine.catalog, "drip", clock.now(), contact_ids=ids, tenant_id="acme")
        worker = rt.worker("t")
        worker.run(virtual=True, until=clock.now() + 3600)
        assert sorted(m.rcpt_tos[0] for m in peer.mails) == ["jane@example.com", "omar@example.com"]
        (to_jane,) = [m.message for m in peer.mails if m.rcpt_tos == ["jane@example.com"]]
        assert to_jane["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = to_jane["List-Unsubscribe"].split(">", 1)[0].lstrip("<")
        assert link.startswith(PUBLIC_URL)
        text = to_jane.get_body(("plain",))
        assert text is not None and link in text.get_content()  # type: ignore[attr-defined]

        answer = app.client.post(
            urlsplit(link).path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200
        assert app.contact("jane").consent["email"] == "opted_out"

        worker.run(virtual=True, until=clock.now() + 2 * 86400)
        assert sorted(m.rcpt_tos[0] for m in peer.mails) == [
            "jane@example.com",
            "omar@example.com",
            "omar@example.com",
        ]
        second = {
            m.contact_id: m
            for m in rt.store.list_messages(MessageFilter(limit=10))
            if m.node == "second"
        }
        assert second["jane"].status == "suppressed"
        assert second["jane"].suppressed_reason == "opted_out"
        assert second["omar"].status == "sent"
        (unsubscribed,) = app.events("email.unsubscribed")
        first_to_jane = [
            m
            for m in rt.store.list_messages(MessageFilter(limit=10))
            if m.contact_id == "jane" and m.node == "first"
        ]
        assert unsubscribed.data["message_id"] == first_to_jane[0].id
