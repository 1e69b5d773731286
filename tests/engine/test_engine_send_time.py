"""``timing: optimal``: a send node waits for the hour the lead engages at, learnt from the
outbox (opens, not machine opens), never past max_delay and never outside the send windows."""

from __future__ import annotations

from typing import Any

from support.engine_kit import HOUR, MINUTE, Kit, at, local
from support.sendtime_history import learn_history

PROMO = """
key: promo
name: Promo
start: offer
nodes:
  - id: offer
    kind: send_email
    subject: "Open house"
    body: "Saturday"
    timing: optimal
    max_delay: MAX_DELAY
    next: after
  - {id: after, kind: wait, duration: 1h}
"""


def _promo(kit: Kit, max_delay: str = "24h", settings: str = "") -> None:
    source = PROMO.replace("MAX_DELAY", max_delay)
    if settings:
        source = source.replace("start: offer", f"settings: {settings}\nstart: offer")
    kit.publish(source)


def _offer_step(kit: Kit, run_id: int) -> dict[str, Any]:
    step = next(s for s in kit.steps(run_id) if s.outcome == "waiting:send_time")
    assert step.data is not None
    return step.data


def test_the_send_waits_for_the_learnt_hour(make_kit: Any) -> None:
    kit: Kit = make_kit(start=at(2024, 6, 3, 9))
    learn_history(kit)
    opened = [m for m in kit.messages(contact_id="ann") if m.opened_at is not None]
    assert {local(m.sent_at or 0).hour for m in opened} == {19}  # machine opens never count

    _promo(kit)
    wednesday_0920 = at(2024, 6, 12, 9, 20)
    kit.clock.set(wednesday_0920)
    (run_id,) = kit.enroll("promo", "ann")
    kit.settle(wednesday_0920)

    evening = at(2024, 6, 12, 19)
    run = kit.run(run_id)
    assert run.node == "offer" and run.wake_at == evening
    data = _offer_step(kit, run_id)
    assert data["hour"] == 19 and data["weekday"] == 2  # Wednesday 19:00 local
    assert data["explored"] is False and data["evidence"] == 8
    assert data["zone"] == "America/New_York"
    assert _promo_messages(kit) == []

    kit.settle(evening - MINUTE)
    assert _promo_messages(kit) == []
    kit.settle(evening)
    (message,) = _promo_messages(kit)
    assert message.sent_at == evening
    explained = message.payload["send_time"]
    assert explained["hour"] == 19 and explained["posterior_mean"] > 0
    assert "node" not in explained


def test_the_workflow_window_wins_over_the_learnt_hour(make_kit: Any) -> None:
    kit: Kit = make_kit(start=at(2024, 6, 3, 9))
    learn_history(kit)
    _promo(kit, settings='{send_window: {start: "09:00", end: "17:00"}}')
    wednesday_0920 = at(2024, 6, 12, 9, 20)
    kit.clock.set(wednesday_0920)
    kit.enroll("promo", "ann")
    kit.run_until(wednesday_0920 + 24 * HOUR)
    (message,) = _promo_messages(kit)
    assert message.sent_at is not None
    assert 9 <= local(message.sent_at).hour < 17


def test_never_later_than_max_delay(make_kit: Any) -> None:
    kit: Kit = make_kit(start=at(2024, 6, 3, 9))
    learn_history(kit)
    _promo(kit, max_delay="2h")
    wednesday_0920 = at(2024, 6, 12, 9, 20)
    kit.clock.set(wednesday_0920)
    kit.enroll("promo", "ann")
    kit.run_until(wednesday_0920 + 24 * HOUR)
    (message,) = _promo_messages(kit)
    assert message.sent_at is not None
    assert wednesday_0920 <= message.sent_at <= wednesday_0920 + 2 * HOUR
    assert message.payload["send_time"]["hour"] != 19


def _promo_messages(kit: Kit) -> list[Any]:
    return [m for m in kit.messages(contact_id="ann") if m.node == "offer"]


def test_a_campaign_spreads_when_an_hour_is_full(make_kit: Any) -> None:
    leads = [f"lead{i}" for i in range(5)]
    kit: Kit = make_kit(start=at(2024, 6, 3, 9), sendtime_max_per_hour=2)
    learn_history(kit, *leads)
    _promo(kit)
    wednesday_0920 = at(2024, 6, 12, 9, 20)
    kit.clock.set(wednesday_0920)
    kit.enroll("promo", *leads)
    kit.run_until(wednesday_0920 + 24 * HOUR)
    sent = [m for m in kit.messages() if m.node == "offer"]
    assert len(sent) == 5
    hours = [local(m.sent_at or 0).hour for m in sent]
    assert max(hours.count(h) for h in hours) <= 2  # the cap holds
    assert hours.count(19) == 2  # the best hour is filled first
    # The others go to the next best hours, the neighbours of 19:00 (pooled evidence).
    assert {h for h in hours if h != 19} <= {17, 18, 20}
