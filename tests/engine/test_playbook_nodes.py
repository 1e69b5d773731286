"""The playbook node kinds on every backend, as a user sees them: ``notify_agent`` makes one
task for the right person and tells them within their hours; ``assign_owner`` takes turns,
follows areas and sources, skips unavailable agents and says why; ``wait_until`` a date field
(yearly) and the first weekday of a month; ``market_report`` figures; overdue tasks."""

from __future__ import annotations

from leadflow.access.scope import operator
from leadflow.access.tasks import complete
from leadflow.model.listings import Listing
from leadflow.model.playbooks import AgentProfile, TaskFilter
from leadflow.model.tenancy import Agent, Team, Tenant
from support.engine_kit import DAY, HOUR, MINUTE, NY, Kit, at, local

NOTIFY = """
key: hot
name: Hot
start: tell
settings: {pause_on_reply: false, goals: [{name: done, event: task.completed}]}
nodes:
  - {id: tell, kind: notify_agent, title: "Call {{ contact.first_name }}", priority: PRIO,
     due_in: 1h, channels: [sms, email], next: hold}
  - {id: hold, kind: wait, duration: 2h, next: escalate}
  - {id: escalate, kind: notify_agent, to: team_lead, title: "Escalated", channels: [sms]}
"""


def team(kit: Kit, *, lead: str | None = "lee") -> None:
    kit.store.create_tenant(Tenant("default", "Default"), kit.now)
    kit.store.upsert_team(Team("default", "north", "North", lead), kit.now)
    people = [
        Agent(
            "default",
            k,
            "north",
            first_name=k.title(),
            email=f"{k}@agents.test",
            mobile_phone=f"+1212555{i:04d}",
        )
        for i, k in enumerate(["ann", "bob", "cat", "lee"])
    ]
    kit.store.upsert_agents(people, kit.now)


def test_notify_agent_tells_the_owner_once_and_the_team_lead_on_escalation(kit: Kit) -> None:
    team(kit)
    kit.add_contact("c1", owner="ann")
    kit.add_contact("c2", owner="bob")
    kit.add_contact("c3", owner="gone")  # no such agent: the team lead gets it
    kit.publish(NOTIFY.replace("PRIO", "urgent"))
    kit.store.save_agent_profile(AgentProfile("default", "ann", urgent_after_hours=True))
    kit.enroll("hot", "c1", "c2", "c3")
    kit.settle()
    tasks = kit.store.list_tasks(TaskFilter("default"))
    assert [(t.contact_id, t.assignee, t.priority) for t in tasks] == [
        ("c1", "ann", "urgent"),
        ("c2", "bob", "urgent"),
        ("c3", "lee", "urgent"),
    ]
    assert all(t.due_at == kit.now + HOUR for t in tasks)
    notices = [m for m in kit.messages() if m.payload.get("agent_notice")]
    assert sorted((m.to, m.channel) for m in notices if m.contact_id == "c1") == [
        ("+12125550000", "sms"),
        ("ann@agents.test", "email"),
    ]
    assert {m.status for m in notices} == {"delivered"}  # noon on a Wednesday: inside hours
    created = kit.store.list_events("c1", 10, 0, type="task.created")
    assert [e.data["task_id"] for e in created] == [tasks[0].id]
    complete(kit.store, operator("default"), tasks[0].id, kit.now + 30 * MINUTE)
    kit.run_until(kit.now + 3 * HOUR)
    [run1] = kit.runs("hot", "c1")
    assert (run1.status, run1.exit_reason) == ("exited", "done")
    escalated = [t for t in kit.store.list_tasks(TaskFilter("default")) if t.title == "Escalated"]
    assert sorted((t.contact_id, t.assignee) for t in escalated) == [("c2", "lee"), ("c3", "lee")]


def test_agent_notices_wait_for_working_hours_unless_urgent_and_allowed(make_kit) -> None:
    night = at(2024, 6, 12, 23, 0)  # 23:00 in New York
    for prio, urgent_ok, expect_at in (
        ("normal", True, at(2024, 6, 13, 9, 0)),
        ("urgent", False, at(2024, 6, 13, 9, 0)),
        ("urgent", True, night),
    ):
        kit = make_kit(start=night)
        team(kit)
        kit.store.save_agent_profile(
            AgentProfile(
                "default", "ann", time_zone="America/New_York", urgent_after_hours=urgent_ok
            )
        )
        kit.add_contact("c1", owner="ann")
        kit.publish(NOTIFY.replace("PRIO", prio))
        kit.enroll("hot", "c1")
        kit.settle()
        kit.run_until(at(2024, 6, 13, 9, 30))
        sms = [m for m in kit.messages(channel="sms") if m.payload.get("task_id")]
        assert sms[0].sent_at == expect_at, (prio, urgent_ok, local(sms[0].sent_at or 0, NY))


ROUTE = """
key: route
name: Route
start: assign
nodes:
  - {id: assign, kind: assign_owner, rule: RULE, team: north}
"""


def test_round_robin_takes_turns_and_skips_unavailable_agents(kit: Kit) -> None:
    team(kit)
    kit.store.save_agent_profile(AgentProfile("default", "cat", available=False))
    kit.publish(ROUTE.replace("RULE", "round_robin"))
    ids = kit.add_contacts(9)
    for cid in ids:  # one at a time: each assignment is in the next one's turn order
        kit.enroll("route", cid)
        kit.clock.advance(1)
        kit.settle()
    owners = [kit.contact(cid).owner for cid in ids]
    assert owners == ["ann", "bob", "lee"] * 3
    recorded = kit.store.list_assignments("default", ids[0])
    assert [(a.member_key, a.rule) for a in recorded] == [("ann", "round_robin")]
    assert recorded[0].reason == "round robin in team north: next in turn"
    [event] = kit.store.list_events(ids[0], 10, 0, type="owner.assigned")
    assert event.data["owner"] == "ann"


def test_area_and_source_rules_and_their_fallback(kit: Kit) -> None:
    team(kit)
    kit.store.save_agent_profile(AgentProfile("default", "bob", areas=["78704"]))
    kit.store.save_agent_profile(AgentProfile("default", "cat", sources=["Zillow"]))
    kit.publish(ROUTE.replace("RULE", "area"))
    kit.add_contact("z1", fields={"PostalCode": "78704"})
    kit.add_contact("z2", fields={"PostalCode": "10001"})
    kit.add_contact("z3", owner="ann", fields={"PostalCode": "78704"})
    kit.enroll("route", "z1", "z2", "z3")
    kit.settle()
    assert kit.contact("z1").owner == "bob"
    [why] = kit.store.list_assignments("default", "z2")
    assert why.rule == "round_robin" and why.reason.startswith("area: nobody takes 10001")
    assert kit.contact("z3").owner == "ann"  # has an owner: kept
    assert kit.store.list_assignments("default", "z3") == []
    kit.publish(ROUTE.replace("RULE", "source").replace("key: route", "key: route2"))
    kit.add_contact("s1", fields={"LeadSource": "zillow"})
    kit.enroll("route2", "s1")
    kit.settle()
    assert kit.contact("s1").owner == "cat"


DATES = """
key: dates
name: Dates
start: at30
settings: {pause_on_reply: false}
nodes:
  - {id: at30, kind: wait_until, field: ClosingDate, offset: 30, time: "10:00",
     on_missing: yearly, next: checkin}
  - {id: checkin, kind: send_email, subject: checkin, body: hi, next: yearly}
  - {id: yearly, kind: wait_until, field: ClosingDate, repeat: yearly, time: "10:00",
     next: anniversary}
  - {id: anniversary, kind: send_email, subject: anniversary, body: hi, next: yearly}
"""


def test_wait_until_a_date_field_plus_offset_and_every_anniversary(kit: Kit) -> None:
    kit.publish(DATES)
    kit.add_contact("new", fields={"ClosingDate": "2024-06-12"})
    kit.add_contact("old", fields={"ClosingDate": "2020-02-29"})  # leap day
    kit.add_contact("none", fields={})
    kit.enroll("dates", "new", "old", "none")
    kit.settle()
    kit.run_until(at(2026, 3, 15))
    sent = {
        cid: [(m.subject, local(m.sent_at or 0)) for m in kit.messages(contact_id=cid)]
        for cid in ("new", "old", "none")
    }
    assert [(s, d.strftime("%Y-%m-%d %H:%M")) for s, d in sent["new"]] == [
        ("checkin", "2024-07-12 10:00"),
        ("anniversary", "2025-06-12 10:00"),
    ]
    assert [(s, d.strftime("%Y-%m-%d %H:%M")) for s, d in sent["old"]] == [
        ("anniversary", "2025-02-28 10:00"),  # 29 Feb in a common year: the 28th
        ("anniversary", "2026-02-28 10:00"),
    ]
    assert sent["none"] == []
    [run] = kit.runs("dates", "none")
    assert ("at30", "missing") in kit.outcomes(run.id)


MONTHLY = """
key: monthly
name: Monthly
start: first
settings: {pause_on_reply: false}
nodes:
  - {id: first, kind: wait_until, month_day: first_weekday, time: "10:00", next: report}
  - {id: report, kind: market_report, next: mail}
  - id: mail
    kind: send_email
    subject: "{{ context.market.area }}"
    body: >-
      {{ context.market.active }} {{ context.market.median_price }}
      {{ context.market.price_drops }}
    next: first
"""


def test_first_weekday_of_each_month_with_market_figures(kit: Kit) -> None:
    kit.store.create_tenant(Tenant("default", "Default"), kit.now)
    homes = [
        Listing(
            "default",
            f"L{i}",
            standard_status="Active",
            list_price=100_000.0 * i,
            original_list_price=100_000.0 * i + (5000 if i % 2 else 0),
            postal_code="78704",
        )
        for i in range(1, 6)
    ]
    homes.append(Listing("default", "S", standard_status="Closed", postal_code="78704"))
    kit.store.upsert_listings(homes, kit.now)
    kit.publish(MONTHLY)
    kit.add_contact("m1", fields={"PostalCode": "78704"})
    kit.enroll("monthly", "m1")
    kit.settle()
    kit.run_until(at(2024, 10, 2))
    mails = kit.messages(contact_id="m1")
    days = [local(m.sent_at or 0).strftime("%a %Y-%m-%d %H:%M") for m in mails]
    # June 2024 starts on a Saturday, September on a Sunday: Monday the 1st weekday then
    assert days == [
        "Mon 2024-07-01 10:00",
        "Thu 2024-08-01 10:00",
        "Mon 2024-09-02 10:00",
        "Tue 2024-10-01 10:00",
    ]
    assert mails[0].subject == "78704" and mails[0].body == "5 300000 3"


def test_overdue_tasks_are_recorded_once(kit: Kit) -> None:
    team(kit)
    kit.add_contact("c1", owner="ann")
    kit.publish(NOTIFY.replace("PRIO", "normal").replace("due_in: 1h", "due_in: 30m"))
    kit.enroll("hot", "c1")
    kit.settle()
    kit.settle(kit.now + 31 * MINUTE)  # the job runs on every pass (each minute for real)
    kit.settle(kit.now + 2 * MINUTE)
    overdue = kit.store.list_events("c1", 10, 0, type="task.overdue")
    assert len(overdue) == 1
    [task] = [t for t in kit.store.list_tasks(TaskFilter("default")) if t.title != "Escalated"]
    assert task.overdue_at is not None
    assert kit.store.overdue_tasks(kit.now + DAY, 10) == []
    assert overdue[0].data["task_id"] == task.id


LINKED = """
key: linked
name: Linked
start: link
settings: {pause_on_reply: false}
nodes:
  - {id: link, kind: booking_link, fallback: "call us", next: mail}
  - {id: mail, kind: send_email, subject: Book, body: "Pick a time: {{ context.booking_url }}"}
"""


def test_booking_link_puts_the_owners_page_in_the_message(make_kit) -> None:
    from leadflow.playbooks.booking import BookingLinks, Link

    secret = "booking-secret-for-tests-0123456789"
    kit = make_kit(booking_secret=secret, public_url="https://leads.example.com")
    team(kit)
    kit.add_contact("c1", owner="ann")
    kit.add_contact("c2")
    kit.publish(LINKED)
    kit.enroll("linked", "c1", "c2")
    kit.settle()
    [m1] = kit.messages(contact_id="c1")
    [m2] = kit.messages(contact_id="c2")
    prefix = "Pick a time: https://leads.example.com/book/"
    assert (m1.body or "").startswith(prefix)
    token = (m1.body or "").removeprefix(prefix)
    assert BookingLinks(secret).read(token) == Link("default", "ann", "c1")
    assert m2.body == "Pick a time: call us"  # no owner: the fallback
    plain = make_kit()
    plain.add_contact("c1", owner="ann")
    plain.publish(LINKED)
    plain.enroll("linked", "c1")
    plain.settle()
    assert plain.messages(contact_id="c1")[0].body == "Pick a time: call us"  # pages are off
