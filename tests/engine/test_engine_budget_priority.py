"""Workflow priority decides who waits when a contact's message budget is short: the remaining
budget goes to the higher-priority workflows' messages, and a lower-priority message waits
(``budget_priority``) while a higher-priority one due soon needs what is left."""

from __future__ import annotations

from leadflow.model.records import Message
from support.engine_kit import DAY, HOUR, MINUTE, T0, Kit


def _workflow(key: str, priority: int) -> str:
    return f"""
key: {key}
name: {key}
settings: {{priority: {priority}, pause_on_reply: false}}
start: send
nodes:
  - {{id: send, kind: send_sms, body: "From {key}"}}
"""


def _of(kit: Kit, cid: str, key: str) -> list[Message]:
    return [m for m in kit.messages(contact_id=cid) if m.workflow_key == key]


def _by_workflow(kit: Kit, cid: str) -> dict[str | None, tuple[str, str | None]]:
    return {m.workflow_key: (m.status, m.suppressed_reason) for m in kit.messages(contact_id=cid)}


def test_the_budget_goes_to_the_higher_priorities_first(make_kit: object) -> None:
    kit: Kit = make_kit(budget_per_day=2)  # type: ignore[operator]
    for key, priority in (("ten", 10), ("zero", 0), ("five", 5)):
        kit.publish(_workflow(key, priority))
    kit.add_contact("ann")
    for key in ("zero", "ten", "five"):  # the lowest priority is queued first
        kit.enroll(key, "ann")
    kit.settle()
    assert _by_workflow(kit, "ann") == {
        "ten": ("delivered", None),
        "five": ("delivered", None),
        "zero": ("deferred", "budget_priority"),
    }
    [waiting] = _of(kit, "ann", "zero")
    assert waiting.due_at == T0 + HOUR  # looked at again later, never dropped
    # once the day has passed the budget has room again and it goes out
    kit.run_until(T0 + DAY + 2 * HOUR)
    [sent] = _of(kit, "ann", "zero")
    assert sent.status == "delivered" and sent.sent_at is not None
    assert sent.sent_at >= T0 + DAY


def test_equal_priorities_wait_for_the_budget_as_before(make_kit: object) -> None:
    kit: Kit = make_kit(budget_per_day=1)  # type: ignore[operator]
    kit.publish(_workflow("a", 0))
    kit.publish(_workflow("b", 0))
    kit.add_contact("bo")
    kit.enroll("a", "bo")
    kit.enroll("b", "bo")
    kit.settle()
    assert _by_workflow(kit, "bo") == {"a": ("delivered", None), "b": ("deferred", "budget")}


def test_a_lower_priority_waits_for_a_higher_one_due_within_the_hour(make_kit: object) -> None:
    start = T0 - DAY + 30 * MINUTE  # the first send leaves the budget at T0 + 30 min
    kit: Kit = make_kit(start=start, budget_per_day=1)  # type: ignore[operator]
    kit.publish(_workflow("old", 5))
    kit.publish(_workflow("urgent", 10))
    kit.publish(_workflow("drip", 0))
    kit.add_contact("cy")
    kit.enroll("old", "cy")
    kit.settle(start)
    kit.settle(T0 - 10 * MINUTE)
    kit.enroll("urgent", "cy")
    kit.settle(T0 - 10 * MINUTE)
    [urgent] = _of(kit, "cy", "urgent")
    assert (urgent.status, urgent.suppressed_reason) == ("deferred", "budget")
    assert urgent.due_at == T0 + 50 * MINUTE
    # The budget has room again at T0 + 30 min; the drip, due first, must not take it.
    kit.settle(T0 + 40 * MINUTE)
    kit.enroll("drip", "cy")
    kit.settle(T0 + 40 * MINUTE)
    [drip] = _of(kit, "cy", "drip")
    assert (drip.status, drip.suppressed_reason) == ("deferred", "budget_priority")
    kit.settle(T0 + 50 * MINUTE)
    [urgent] = _of(kit, "cy", "urgent")
    assert (urgent.status, urgent.sent_at) == ("delivered", T0 + 50 * MINUTE)
    [drip] = _of(kit, "cy", "drip")
    assert drip.status == "deferred" and drip.sent_at is None
