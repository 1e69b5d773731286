"""Consent changes a provider reports -- a carrier opt-out (``sms.opted_out``), an e-mail
unsubscribe, a spam complaint -- take effect before the contact's next send, are kept in the
history with their source and evidence, are applied once however often they are processed, and
are not replies (they pause no run)."""

from __future__ import annotations

from leadflow.compliance.consent import consent_patches
from support.engine_kit import DAY, HOUR, T0, Kit

DRIP = """
key: drip
name: Drip
start: text
nodes:
  - {id: text, kind: send_sms, body: "Hi {{ contact.first_name }}", next: mail}
  - {id: mail, kind: send_email, subject: "Homes", body: "New homes", next: wait}
  - {id: wait, kind: wait, duration: 1d, next: text2}
  - {id: text2, kind: send_sms, body: "Still looking?", next: mail2}
  - {id: mail2, kind: send_email, subject: "More homes", body: "More", next: call}
  - {id: call, kind: voice_call, mode: live, say: "Hi"}
"""


def _sent(kit: Kit, cid: str) -> list[str | None]:
    return [m.node for m in kit.messages(contact_id=cid) if m.status in ("sent", "delivered")]


def _suppressed(kit: Kit, cid: str) -> list[tuple[str | None, str | None]]:
    return [
        (m.node, m.suppressed_reason)
        for m in kit.messages(contact_id=cid)
        if m.status == "suppressed"
    ]


def test_a_carrier_opt_out_stops_texts_and_calls_not_mail(kit: Kit) -> None:
    kit.publish(DRIP)
    kit.add_contact("ann")
    (rid,) = kit.enroll("drip", "ann")
    kit.settle()
    assert _sent(kit, "ann") == ["text", "mail"]
    kit.emit(
        "sms.opted_out",
        "ann",
        {"source": "twilio_21610", "evidence": "error 21610: unsubscribed recipient"},
        occurred_at=T0 + HOUR,
    )
    kit.run_until(T0 + 2 * DAY)
    contact = kit.contact("ann")
    assert contact.consent == {"sms": "opted_out", "voice": "opted_out"}
    history = contact.fields["consent_history"]
    assert [(h["channel"], h["state"], h["source"], h["at"]) for h in history] == [
        ("sms", "opted_out", "twilio_21610", T0 + HOUR),
        ("voice", "opted_out", "twilio_21610", T0 + HOUR),
    ]
    assert history[0]["evidence"] == "error 21610: unsubscribed recipient"
    assert _sent(kit, "ann") == ["text", "mail", "mail2"]
    assert sorted(_suppressed(kit, "ann")) == [("call", "opted_out"), ("text2", "opted_out")]
    # not a reply: the run was never paused, and nothing answered it
    assert kit.run(rid).status == "completed"
    assert kit.store.last_reply_at(["ann"]) == {}


def test_an_unsubscribe_or_spam_report_stops_mail_only(kit: Kit) -> None:
    kit.publish(DRIP)
    kit.add_contact("bo")
    kit.add_contact("cy")
    kit.enroll("drip", "bo", "cy")
    kit.settle()
    kit.emit(
        "email.unsubscribed",
        "bo",
        {"source": "one_click", "message_id": 2, "evidence": "List-Unsubscribe=One-Click"},
    )
    kit.emit("email.spam_reported", "cy", {"source": "sendgrid"})
    kit.run_until(T0 + 2 * DAY)
    for cid, source in (("bo", "one_click"), ("cy", "sendgrid")):
        contact = kit.contact(cid)
        assert contact.consent == {"email": "opted_out"}
        [entry] = contact.fields["consent_history"]
        assert (entry["channel"], entry["state"], entry["source"]) == (
            "email",
            "opted_out",
            source,
        )
        assert _suppressed(kit, cid) == [("mail2", "opted_out")]
        assert _sent(kit, cid) == ["text", "mail", "text2", "call"]
    evidence = kit.contact("cy").fields["consent_history"][0]["evidence"]
    assert evidence == "email.spam_reported"  # the event type when it carried none


def test_the_outbox_waits_for_an_unprocessed_opt_out(kit: Kit) -> None:
    kit.publish(DRIP)
    kit.add_contact("di")
    kit.add_contact("ed")
    kit.enroll("drip", "di", "ed")
    kit.worker.advancer.advance_due(T0)
    kit.emit("sms.opted_out", "di", {"source": "twilio_21610"})
    # A dispatcher that runs before the event is processed leaves all of di's messages alone.
    claimed = kit.worker.dispatcher.dispatch_due(T0)
    assert claimed == len(kit.messages(contact_id="ed")) >= 1
    assert {m.status for m in kit.messages(contact_id="di")} == {"pending"}
    kit.settle(T0)
    [di_text] = kit.messages(contact_id="di", channel="sms")
    assert (di_text.status, di_text.suppressed_reason) == ("suppressed", "opted_out")
    [di_mail] = kit.messages(contact_id="di", channel="email")
    assert di_mail.status == "delivered"  # e-mail consent stands


def test_a_consent_event_applied_twice_changes_nothing_more(kit: Kit) -> None:
    kit.add_contact("fay")
    eid = kit.emit("email.unsubscribed", "fay", {"source": "one_click"})
    kit.settle()
    [event] = kit.store.list_events(contact_id="fay")
    assert event.id == eid
    after = kit.contact("fay")
    assert consent_patches([event], {"fay": after}) == []  # already applied: no patch
    # the same unsubscribe reported again (same dedupe key) is one event
    assert kit.emit("email.unsubscribed", "fay", {"source": "one_click"}, key="test-1") is None
    kit.emit("email.unsubscribed", "fay", {"source": "list_page"})  # a second, later one
    kit.settle()
    assert len(kit.contact("fay").fields["consent_history"]) == 1  # already opted out
