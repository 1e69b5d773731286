"""A lead's engagement history made through the engine: e-mails sent by a workflow at fixed
hours for eight days, some opened by the lead, some only by a machine (which never counts)."""

from __future__ import annotations

from support.engine_kit import Kit, at

LEARN = """
key: learn
name: Learn
settings: {reentry: {policy: always}}
start: hello
nodes:
  - {id: hello, kind: send_email, subject: "News", body: "Hello"}
"""


def _send_at(kit: Kit, moment: float, cid: str) -> int:
    """Enroll ``cid`` into ``learn`` at ``moment``; the message leaves in the same pass."""
    kit.clock.set(moment)
    kit.enroll("learn", cid)
    kit.settle(moment)
    sent = [m for m in kit.messages(contact_id=cid) if m.sent_at == moment]
    assert len(sent) == 1, "the learning message should leave at once"
    assert sent[0].id is not None
    return sent[0].id


def learn_history(kit: Kit, *cids: str) -> None:
    """Eight days: e-mails at 10:00 machine-opened only, at 14:00 ignored, at 19:00 opened."""
    cids = cids or ("ann",)
    for cid in cids:
        kit.add_contact(cid)
    kit.publish(LEARN)
    for day in range(3, 11):  # Monday 3 June to Monday 10 June 2024, New York time
        for hour, event in ((10, "email.machine_opened"), (14, None), (19, "email.opened")):
            for cid in cids:
                message_id = _send_at(kit, at(2024, 6, day, hour), cid)
                if event is not None:
                    kit.emit(event, cid, {"message_id": message_id})
                    kit.settle()
