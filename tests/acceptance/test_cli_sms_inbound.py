"""An inbound text simulated from the command line: ``events emit sms.received --data
'{"body": "STOP"}'`` opts the lead out, and nothing but the one confirmation is texted to it
afterwards."""

from __future__ import annotations

from support.cli import WELCOME_KEY, Leadflow, zone_at_local_hour


def stopper(zone: str) -> list[str]:
    # A toll-free number: the lead's own zone alone decides quiet hours.
    return ["stopper", "Stan", "Lead", "stan@example.com", "+1 800 555 0142", zone, ""]


def test_an_emitted_stop_opts_the_contact_out_and_no_text_follows(ready: Leadflow) -> None:
    ready.import_contacts([stopper(zone_at_local_hour(12))])
    data = '{"body": "STOP", "from": "+18005550142", "source": "cli"}'
    emitted = ready.json("events", "emit", "sms.received", "--contact", "stopper", "--data", data)
    assert isinstance(emitted["id"], int) and emitted["duplicate"] is False
    ready.worker("--until-idle")

    (contact,) = [c for c in ready.json("contacts", "list") if c["id"] == "stopper"]
    assert contact["consent"]["sms"] == "opted_out"
    assert contact["consent"]["voice"] == "opted_out"  # a revocation covers calls too
    history = contact["fields"]["consent_history"]
    assert {(h["channel"], h["state"], h["evidence"]) for h in history} == {
        ("sms", "opted_out", "STOP"),
        ("voice", "opted_out", "STOP"),
    }

    ready.ok("enroll", WELCOME_KEY, "--contact", "stopper")
    ready.worker("--until-idle")
    texts = [m for m in ready.messages("--contact", "stopper") if m["channel"] == "sms"]
    drip = [m for m in texts if m["run_id"] is not None]
    assert drip and all(m["status"] == "suppressed" for m in drip)
    assert drip[0]["suppressed_reason"] == "opted_out"
    # the only text that left is the one confirmation of the opt-out, sent at once
    (confirmation,) = [m for m in texts if m["run_id"] is None]
    assert confirmation["status"] == "delivered"
    assert "unsubscribed" in confirmation["body"] and "START" in confirmation["body"]
