"""What counts as engagement, read from the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.model.records import Message
from leadflow.sendtime.history import counts_of, engaged

NY = ZoneInfo("America/New_York")
TUESDAY_19 = datetime(2024, 6, 11, 19, 5, tzinfo=NY).timestamp()


def message(channel: str, **facts: Any) -> Message:
    return Message(
        run_id=1,
        contact_id="ann",
        workflow_key="w",
        node="n",
        channel=channel,
        to="x",
        idempotency_key=f"k-{channel}-{sorted(facts)}",
        due_at=TUESDAY_19,
        created_at=TUESDAY_19,
        **facts,
    )


def test_email_opens_clicks_and_replies_engage() -> None:
    assert engaged(message("email", opened_at=TUESDAY_19 + 60))
    assert engaged(message("email", clicked_at=TUESDAY_19 + 60))
    assert engaged(message("email", replied_at=TUESDAY_19 + 60))
    assert not engaged(message("email", delivered_at=TUESDAY_19 + 1))


def test_texts_and_calls_engage_by_reply_or_click_only() -> None:
    assert engaged(message("sms", replied_at=TUESDAY_19 + 60))
    assert engaged(message("sms", clicked_at=TUESDAY_19 + 60))
    assert not engaged(message("sms", opened_at=TUESDAY_19 + 60))
    assert not engaged(message("voice", delivered_at=TUESDAY_19 + 60))


def test_counts_use_the_local_hour_of_the_send_and_skip_unsent_messages() -> None:
    sent = message("email", sent_at=TUESDAY_19, opened_at=TUESDAY_19 + 3 * 3600)
    unsent = message("email")
    counts = counts_of([sent, unsent], NY)
    assert counts.sent.sum() == 1 and counts.sent[24 + 19] == 1
    assert counts.engaged[24 + 19] == 1  # counted at the send's hour, not the open's
