"""Triggers: event triggers with filters, re-entry policies, cron schedules."""

from __future__ import annotations

from collections import Counter

import pytest

from support.engine_kit import DAY, HOUR, MINUTE, T0, Kit, at, local

EVENT_TRIGGERED = """
key: welcome
name: Welcome
triggers:
  - type: event
    event: lead.created
    filter:
      all:
        - {{field: contact.state, op: eq, value: FL}}
        - {{field: event.data.source, op: ne, value: spam}}
settings: {{reentry: {{policy: {policy}{days}}}}}
start: a
nodes:
  - {{id: a, kind: send_sms, body: "Welcome from {{{{ event.data.source }}}}"}}
"""


def _welcome(policy: str = "never", days: int | None = None) -> str:
    return EVENT_TRIGGERED.format(policy=policy, days=f", days: {days}" if days else "")


def test_event_trigger_enrolls_only_contacts_matching_the_filter(kit: Kit) -> None:
    kit.publish(_welcome())
    kit.add_contact("fl", state="FL")
    kit.add_contact("ny", state="NY")
    kit.add_contact("spam", state="FL")
    kit.emit("lead.created", "fl", {"source": "zillow"})
    kit.emit("lead.created", "ny", {"source": "zillow"})
    kit.emit("lead.created", "spam", {"source": "spam"})
    kit.emit("lead.updated", "fl", {"source": "zillow"})  # another event type
    kit.settle()
    assert [r.contact_id for r in kit.runs("welcome")] == ["fl"]
    assert [m.body for m in kit.messages()] == ["Welcome from zillow"]
    run = kit.runs("welcome")[0]
    assert run.context["trigger"]["type"] == "lead.created"


def test_the_same_event_twice_is_one_event(kit: Kit) -> None:
    kit.publish(_welcome("always"))
    kit.add_contact("fl", state="FL")
    kit.emit("lead.created", "fl", {"source": "web"}, key="crm-123")
    kit.emit("lead.created", "fl", {"source": "web"}, key="crm-123")
    kit.run_until(T0 + DAY)
    assert len(kit.runs("welcome")) == 1
    # One lead.created and the dispatcher's verdict on its text: the sandbox delivers at once,
    # so only sms.delivered (no sms.sent); nobody listens to it, yet it is stored and processed.
    created, delivered = kit.store.list_events("fl")
    assert (created.type, created.dedupe_key) == ("lead.created", "crm-123")
    assert delivered.type == "sms.delivered"
    assert delivered.data["source"] == "dispatch"
    assert delivered.data["run_id"] == kit.runs("welcome")[0].id
    assert created.processed_at is not None and delivered.processed_at is not None


@pytest.mark.parametrize(
    ("policy", "days", "expected"),
    [
        ("never", None, [T0]),
        ("after", 3, [T0, T0 + 4 * DAY]),
        ("always", None, [T0, T0 + DAY, T0 + 4 * DAY]),
    ],
)
def test_reentry_policies(kit: Kit, policy: str, days: int | None, expected: list[float]) -> None:
    kit.publish(_welcome(policy, days))
    kit.add_contact("fl", state="FL")
    for offset in (0, DAY, 4 * DAY):
        kit.emit("lead.created", "fl", {"source": "web"}, occurred_at=T0 + offset)
    kit.run_until(T0 + 6 * DAY)
    assert [r.created_at for r in kit.runs("welcome")] == expected


def test_always_reentry_still_skips_while_a_run_is_live(kit: Kit) -> None:
    kit.publish(
        """
key: drip
name: Drip
triggers: [{type: event, event: lead.created}]
settings: {reentry: {policy: always}}
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hi", next: w}
  - {id: w, kind: wait, duration: 2d}
"""
    )
    kit.add_contact("c1")
    kit.emit("lead.created", "c1", occurred_at=T0)
    kit.emit("lead.created", "c1", occurred_at=T0 + DAY)  # first run still waiting
    kit.emit("lead.created", "c1", occurred_at=T0 + 3 * DAY)  # first run completed
    kit.run_until(T0 + 6 * DAY)
    assert [r.created_at for r in kit.runs("drip")] == [T0, T0 + 3 * DAY]


SCHEDULED = """
key: digest
name: Daily digest
triggers:
  - type: schedule
    cron: "0 9 * * *"
    timezone: America/New_York
    filter: {{field: contact.state, op: eq, value: FL}}
settings: {{reentry: {{policy: {policy}}}}}
start: a
nodes:
  - {{id: a, kind: send_email, subject: "Digest", body: "New listings"}}
"""


def test_cron_trigger_fires_at_the_right_virtual_time_for_filtered_contacts(kit: Kit) -> None:
    kit.publish(SCHEDULED.format(policy="always"))
    kit.add_contact("fl1", state="FL")
    kit.add_contact("fl2", state="FL")
    kit.add_contact("ny", state="NY")
    first_fire = at(2024, 6, 13, 9, 0)  # T0 is Wednesday noon: Thursday 09:00
    assert kit.store.next_due_at() == first_fire

    kit.run_until(first_fire - MINUTE)
    assert kit.runs("digest") == []
    kit.run_until(first_fire + HOUR)
    assert sorted(r.contact_id for r in kit.runs("digest")) == ["fl1", "fl2"]
    assert {r.created_at for r in kit.runs("digest")} == {first_fire}
    assert {m.sent_at for m in kit.messages()} == {first_fire}

    kit.run_until(at(2024, 6, 15, 12, 0))  # Friday and Saturday fire too
    runs = kit.runs("digest")
    assert Counter(r.contact_id for r in runs) == {"fl1": 3, "fl2": 3}
    fires = sorted({r.created_at for r in runs})
    assert [local(t).strftime("%a %H:%M") for t in fires] == ["Thu 09:00", "Fri 09:00", "Sat 09:00"]


def test_missed_cron_periods_fire_once(kit: Kit) -> None:
    kit.publish(SCHEDULED.format(policy="always"))
    kit.add_contact("fl1", state="FL")
    late = at(2024, 6, 20, 12, 0)  # a week of missed 09:00 fires
    kit.settle(late)
    assert kit.worker.stats.schedules == 1
    assert [r.created_at for r in kit.runs("digest")] == [late]
    assert kit.store.next_due_at() == at(2024, 6, 21, 9, 0)


def test_cron_trigger_honours_reentry_never(kit: Kit) -> None:
    kit.publish(SCHEDULED.format(policy="never"))
    kit.add_contact("fl1", state="FL")
    kit.run_until(at(2024, 6, 16, 12, 0))
    assert kit.worker.stats.schedules == 4
    assert len(kit.runs("digest")) == 1


def test_republishing_moves_the_schedule_to_the_new_version(kit: Kit) -> None:
    kit.publish(SCHEDULED.format(policy="always"))
    kit.publish(SCHEDULED.format(policy="always").replace("New listings", "Fresh listings"))
    kit.add_contact("fl1", state="FL")
    kit.run_until(at(2024, 6, 13, 10, 0))
    (run,) = kit.runs("digest")
    assert run.version == 2
    assert [m.body for m in kit.messages()] == ["Fresh listings"]
