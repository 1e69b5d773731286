"""Replies read from a real IMAP server on loopback (tests/support/imap_server.py) by the
worker's periodic job, on every backend: a reply matched by In-Reply-To pauses the run as a
text does, an out-of-office does not, each message is recorded once across restarts and a new
UIDVALIDITY, a malformed message is set aside while the next goes on, IDLE is used when the
server offers it and polling when it does not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadflow.channels.email_ids import outgoing_message_id
from leadflow.channels.imap_poll import ImapConfig, ImapPoller
from leadflow.model.records import Message
from support.email_peers import email_settings, self_signed, smtp_peer
from support.engine_kit import DAY, HOUR, T0, Kit
from support.imap_server import ImapServer, imap_server
from support.inbound_mail import QUOTE, reply_mime

FLOW = """
key: drip
name: Drip
settings: {pause_on_reply: true}
start: a
nodes:
  - {id: a, kind: send_email, subject: "Homes near you", body: "Hi there", next: w}
  - {id: w, kind: wait, duration: 1d, next: b}
  - {id: b, kind: send_email, subject: "More homes", body: "Still looking?"}
"""
INTERVAL = 30.0


@pytest.fixture(params=[True, False], ids=["idle", "polling"])
def server(request: pytest.FixtureRequest) -> Iterator[ImapServer]:
    with imap_server(idle=request.param) as srv:
        yield srv


def _kit(make_kit: Any, server: ImapServer) -> Kit:
    kit: Kit = make_kit(**server.settings(imap_interval_s=INTERVAL, imap_tenant="default"))
    kit.publish(FLOW)
    kit.add_contact("c1")
    kit.add_contact("c2")
    return kit


def _first_mail(kit: Kit, cid: str) -> Message:
    (msg,) = [m for m in kit.messages() if m.contact_id == cid and m.channel == "email"][:1]
    return msg


def _our_id(msg: Message) -> str:
    return outgoing_message_id(msg.id or 0, msg.idempotency_key, "example.com")


def _later(kit: Kit, seconds: float = INTERVAL) -> None:
    kit.clock.advance(seconds)
    kit.settle()


def test_an_email_reply_pauses_the_run_and_an_auto_reply_does_not(
    make_kit: Any, server: ImapServer
) -> None:
    kit = _kit(make_kit, server)
    (r1,) = kit.enroll("drip", "c1")
    (r2,) = kit.enroll("drip", "c2")
    kit.settle(T0)
    first = _first_mail(kit, "c1")
    second = _first_mail(kit, "c2")
    assert first.status in ("sent", "delivered")
    server.deliver(
        reply_mime(
            "C1 <c1@example.com>",
            "Yes, call me tomorrow." + QUOTE,
            in_reply_to=_our_id(first),
            references=_our_id(first),
        )
    )
    server.deliver(
        reply_mime(
            "c2@example.com",
            "I am out of the office until Monday.",
            subject="Automatic reply: Homes near you",
            in_reply_to=_our_id(second),
            message_id="<ooo-1@mail.example.com>",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    _later(kit)

    (reply,) = kit.store.list_events(limit=10, type="email.received")
    assert reply.contact_id == "c1" and reply.data["text"] == "Yes, call me tomorrow."
    assert reply.data["message_id"] == first.id and reply.data["matched_by"] == "in_reply_to"
    (auto,) = kit.store.list_events(limit=10, type="email.auto_replied")
    assert auto.contact_id == "c2" and auto.data["auto_reply"] is True
    assert kit.run(r1).status == "paused"
    assert kit.outcomes(r1)[-1] == ("w", "paused:reply")
    assert kit.store.get_message(first.id or 0).replied_at is not None  # type: ignore[union-attr]
    assert kit.store.get_message(second.id or 0).replied_at is None  # type: ignore[union-attr]

    kit.run_until(T0 + 3 * DAY)
    assert kit.run(r1).status == "paused"
    assert kit.run(r2).status == "completed"  # the out-of-office stopped nothing
    assert [m.subject for m in kit.messages() if m.contact_id == "c2"] == [
        "Homes near you",
        "More homes",
    ]


def test_each_message_once_across_restarts_and_a_new_uidvalidity(
    make_kit: Any, server: ImapServer
) -> None:
    kit = _kit(make_kit, server)
    kit.settle(T0)
    server.deliver(reply_mime("c1@example.com", "First", message_id="<m1@x>"))
    server.deliver(reply_mime("c2@example.com", "Second", message_id="<m2@x>"))
    _later(kit)
    assert len(kit.store.list_events(limit=10, type="email.received")) == 2
    config = ImapConfig.from_settings(kit.runtime.settings)
    assert config is not None
    state = json.loads(kit.store.get_meta(config.key) or "{}")
    assert state == {"uidvalidity": 1001, "last_uid": 2}

    restarted = ImapPoller(config, kit.store, kit.runtime.settings)  # a new worker process
    fetched = server.commands.count("UID FETCH")
    assert restarted.run(kit.now + HOUR) == 0
    assert server.commands.count("UID FETCH") == fetched  # nothing read again
    server.renumber(2002)  # the server rebuilt the mailbox: every UID is new
    restarted.close()
    again = ImapPoller(config, kit.store, kit.runtime.settings)
    assert again.run(kit.now + 2 * HOUR) == 2  # read again...
    again.close()
    assert len(kit.store.list_events(limit=10, type="email.received")) == 2  # ...recorded once
    assert json.loads(kit.store.get_meta(config.key) or "{}")["uidvalidity"] == 2002


def test_a_malformed_message_is_set_aside_and_the_next_goes_on(
    make_kit: Any, server: ImapServer
) -> None:
    kit = _kit(make_kit, server)
    kit.settle(T0)
    bad = server.deliver(b"Subject: no sender here\r\n\r\nwho am I?\r\n")
    server.deliver(reply_mime("c1@example.com", "Still interested", message_id="<ok@x>"))
    _later(kit)
    (event,) = kit.store.list_events(limit=10, type="email.received")
    assert event.contact_id == "c1" and event.data["text"] == "Still interested"
    config = ImapConfig.from_settings(kit.runtime.settings)
    assert config is not None
    (entry,) = json.loads(kit.store.get_meta(f"{config.key}:quarantine") or "[]")
    assert entry["uid"] == bad and entry["error"].startswith("from: missing")
    assert json.loads(kit.store.get_meta(config.key) or "{}")["last_uid"] == bad + 1


def test_idle_costs_no_command_until_the_server_speaks(make_kit: Any) -> None:
    with imap_server(idle=True) as srv:
        kit = _kit(make_kit, srv)
        kit.settle(T0)
        assert srv.commands[-1] == "IDLE"
        seen = len(srv.commands)
        _later(kit)
        _later(kit)
        assert len(srv.commands) == seen  # two runs, not a word to the server
        srv.deliver(reply_mime("c1@example.com", "hello", message_id="<idle@x>"))
        _later(kit)
        assert srv.commands[seen:] == ["UID SEARCH", "UID FETCH", "IDLE"]  # DONE is no command
        assert len(kit.store.list_events(limit=10, type="email.received")) == 1


def test_without_idle_each_run_polls(make_kit: Any) -> None:
    with imap_server(idle=False) as srv:
        kit = _kit(make_kit, srv)
        kit.settle(T0)
        assert "IDLE" not in srv.commands
        searches = srv.commands.count("UID SEARCH")
        _later(kit)
        assert srv.commands.count("UID SEARCH") == searches + 1


def test_a_wrong_password_or_a_dead_server_stops_nothing(make_kit: Any) -> None:
    with imap_server(users={"leads": "another-pass"}) as srv:
        kit = _kit(make_kit, srv)
        (rid,) = kit.enroll("drip", "c1")
        kit.settle(T0)  # the job's failure is logged, the worker goes on
        assert kit.run(rid).status == "waiting"
    _later(kit)  # the server is gone now: still nothing raised
    assert kit.store.list_events(limit=10, type="email.received") == []


def test_the_whole_loop_over_smtp_and_imap(make_kit: Any) -> None:
    """The e-mail leaves through a real SMTP server; the lead's client answers it quoting the
    Message-ID it received; the reply comes back through IMAP and pauses the run."""
    with smtp_peer() as peer, imap_server() as srv:
        settings = email_settings(
            email_provider="smtp", smtp_host=peer.host, smtp_port=peer.port, smtp_security="none"
        )
        kit: Kit = make_kit(**settings, **srv.settings(imap_interval_s=INTERVAL))
        kit.publish(FLOW)
        kit.add_contact("c1")
        (rid,) = kit.enroll("drip", "c1")
        kit.settle(T0)
        (mail,) = peer.mails
        received_id = str(mail.message["Message-ID"])
        assert received_id.endswith("@acme.example>")
        srv.deliver(
            reply_mime(
                "c1@example.com",
                "Can we see it Saturday?" + QUOTE,
                subject="Re: Homes near you",
                in_reply_to=received_id,
                references=received_id,
                message_id="<loop@mail.example.com>",
            )
        )
        _later(kit)
        (reply,) = kit.store.list_events(limit=10, type="email.received")
        (sent,) = kit.messages()
        assert reply.data["message_id"] == sent.id and reply.data["matched_by"] == "in_reply_to"
        assert reply.data["text"] == "Can we see it Saturday?"
        assert kit.run(rid).status == "paused"
        kit.run_until(T0 + 3 * DAY)
        assert len(peer.mails) == 1  # the second e-mail never left


def test_implicit_tls_with_idle(make_kit: Any, tmp_path: Path) -> None:
    cert = self_signed(tmp_path)
    with imap_server(tls=cert.server_context()) as srv:
        extra = {"imap_security": "tls", "imap_ca_file": str(cert.cert_file)}
        kit: Kit = make_kit(**{**srv.settings(imap_interval_s=INTERVAL), **extra})
        kit.add_contact("c1")
        kit.settle(T0)
        assert srv.commands[-1] == "IDLE"
        seen = len(srv.commands)
        _later(kit)
        assert len(srv.commands) == seen
        srv.deliver(reply_mime("c1@example.com", "Over TLS", message_id="<tls@x>"))
        _later(kit)
        (event,) = kit.store.list_events(limit=10, type="email.received")
        assert event.contact_id == "c1" and event.data["text"] == "Over TLS"


def test_a_certificate_not_trusted_is_refused(make_kit: Any, tmp_path: Path) -> None:
    cert = self_signed(tmp_path)
    with imap_server(tls=cert.server_context()) as srv:
        kit: Kit = make_kit(**{**srv.settings(), "imap_security": "tls"})  # system CAs only
        kit.add_contact("c1")
        srv.deliver(reply_mime("c1@example.com", "never read", message_id="<n@x>"))
        kit.settle(T0)
        assert kit.store.list_events(limit=10, type="email.received") == []
        assert "LOGIN" not in srv.commands  # the password never left
