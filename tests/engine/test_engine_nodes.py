"""Node kinds as a user sees them: branch, split, update_contact, start_workflow, exit/goal,
wait_until, voice_call and conditions on another channel's outcome."""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from leadflow.definitions.io import load_text
from leadflow.engine.workflows import enroll
from leadflow.errors import WorkflowInvalid
from leadflow.model.records import ContactPatch
from support.engine_kit import DAY, HOUR, LA, NY, T0, Kit, at, local

BRANCH = """
key: route
name: Route
start: b
nodes:
  - id: b
    kind: branch
    cases:
      - {when: {field: contact.state, op: in, value: [FL, GA]}, next: south}
      - {when: {field: contact.fields.budget, op: gt, value: 500000}, next: luxury}
    default: standard
  - {id: south, kind: exit, reason: south}
  - {id: luxury, kind: exit, reason: luxury}
  - {id: standard, kind: exit, reason: standard}
"""


def test_branch_first_match_wins_else_default(kit: Kit) -> None:
    kit.publish(BRANCH)
    kit.add_contact("both", state="FL", fields={"budget": 900_000})
    kit.add_contact("rich", state="NY", fields={"budget": 900_000})
    kit.add_contact("plain", state="NY", fields={"budget": 100_000})
    kit.add_contact("bare")
    ids = kit.enroll("route", "both", "rich", "plain", "bare")
    kit.settle()
    reasons = [kit.run(r).exit_reason for r in ids]
    assert reasons == ["south", "luxury", "standard", "standard"]
    assert [kit.outcomes(r)[0] for r in ids] == [
        ("b", "case:0"),
        ("b", "case:1"),
        ("b", "default"),
        ("b", "default"),
    ]


SPLIT = """
key: ab
name: AB
settings: {reentry: {policy: always}}
start: ab
nodes:
  - id: ab
    kind: split
    arms:
      - {name: A, weight: 70, next: check}
      - {name: B, weight: 20, next: check}
      - {name: C, weight: 10, next: check}
  - id: check
    kind: branch
    cases:
      - {when: {field: steps.ab.arm, op: eq, value: B}, next: tag_b}
    default: done
  - {id: tag_b, kind: update_contact, add_tags: [arm-b], next: done}
  - {id: done, kind: exit, reason: split}
"""


def test_split_respects_weights_over_ten_thousand_contacts(kit: Kit) -> None:
    kit.publish(SPLIT)
    kit.add_contacts(10_000)
    kit.runtime.engine.catalog.refresh(force=True)
    kit.store.enroll_all("ab", 1, "ab", T0, "always")
    kit.run_until(T0 + HOUR)
    runs = kit.runs("ab")
    assert len(runs) == 10_000
    arms = Counter(r.context["steps"]["ab"]["arm"] for r in runs)
    for arm, share in (("A", 0.70), ("B", 0.20), ("C", 0.10)):
        assert abs(arms[arm] / 10_000 - share) < 0.02, arms
    # The arm is visible to later conditions (steps.ab.arm): only B got the tag.
    tagged = {c.id for c in kit.store.list_contacts(limit=20_000) if "arm-b" in c.tags}
    assert tagged == {r.contact_id for r in runs if r.context["steps"]["ab"]["arm"] == "B"}


def test_same_contact_always_lands_in_the_same_arm(kit: Kit) -> None:
    kit.publish(SPLIT)
    ids = kit.add_contacts(20)
    first = {}
    for _ in range(3):
        kit.enroll("ab", *ids)
        kit.settle()
    for run in kit.runs("ab"):
        arm = run.context["steps"]["ab"]["arm"]
        assert first.setdefault(run.contact_id, arm) == arm
        assert kit.outcomes(run.id)[0] == ("ab", f"arm:{arm}")
    assert len(kit.runs("ab")) == 60


def test_update_contact_persists_fields_tags_stage_owner_and_renders_templates(kit: Kit) -> None:
    kit.publish(
        """
key: qualify
name: Qualify
start: u
nodes:
  - id: u
    kind: update_contact
    set:
      first_name: "{{ contact.first_name | upper }}"
      budget_band: "{{ contact.fields.budget }}-plus"
      source: web
    add_tags: [hot]
    remove_tags: [cold]
    stage: engaged
    owner: agent-7
    next: a
  - {id: a, kind: send_sms, body: "Hi {{ contact.first_name }}, {{ contact.stage }}"}
"""
    )
    kit.add_contact("c1", first_name="Ann", tags=["cold", "buyer"], fields={"budget": 500})
    kit.enroll("qualify", "c1")
    kit.settle()
    c = kit.contact("c1")
    assert (c.first_name, c.stage, c.owner) == ("ANN", "engaged", "agent-7")
    assert c.fields == {"budget": 500, "budget_band": "500-plus", "source": "web"}
    assert c.tags == ["buyer", "hot"]
    # A later node in the same advance already sees the change.
    assert [m.body for m in kit.messages()] == ["Hi ANN, engaged"]


def test_start_workflow_enrolls_in_the_latest_version_and_respects_reentry(kit: Kit) -> None:
    follow = """
key: followup
name: Followup
settings: {reentry: {policy: never}}
start: a
nodes:
  - {id: a, kind: send_sms, body: "%s {{ event.data.from_workflow }}"}
"""
    kit.publish(follow % "v1")
    kit.publish(
        """
key: main
name: Main
settings: {reentry: {policy: always}}
start: go
nodes:
  - {id: go, kind: start_workflow, workflow: followup}
"""
    )
    kit.publish(follow % "v2")
    kit.add_contact("c1")
    (first,) = kit.enroll("main", "c1")
    kit.settle()
    (second,) = kit.enroll("main", "c1")
    kit.settle()
    assert kit.outcomes(first) == [("go", "started")]
    assert kit.outcomes(second) == [("go", "started")]
    (follow_run,) = kit.runs("followup")
    assert follow_run.version == 2
    assert follow_run.context["trigger"]["type"] == "workflow.started"
    assert follow_run.context["trigger"]["data"] == {"from_workflow": "main", "from_run": first}
    assert [m.body for m in kit.messages()] == ["v2 main"]


MAIN_STARTS_MISSING = """
key: main
name: Main
start: go
nodes:
  - {id: go, kind: start_workflow, workflow: missing}
"""


def test_start_workflow_of_an_unknown_workflow_is_refused_at_publish(kit: Kit) -> None:
    with pytest.raises(WorkflowInvalid) as info:
        kit.publish(MAIN_STARTS_MISSING)
    assert info.value.errors == [
        "nodes[0](go).workflow: no workflow 'missing' in this tenant"
        " (publish it, or save it as a draft, first)"
    ]


def test_start_workflow_of_an_unknown_workflow_fails_the_run(kit: Kit) -> None:
    # Stored without validation (as by an older version that allowed it).
    body = load_text(MAIN_STARTS_MISSING)
    kit.store.publish_workflow("main", "Main", body, kit.now)
    kit.add_contact("c1")
    (rid,) = kit.enroll("main", "c1")
    kit.settle()
    run = kit.run(rid)
    assert run.status == "failed"
    assert run.error == "go: start_workflow: no workflow 'missing' in this tenant"


def test_start_workflow_never_starts_another_tenants_workflow_of_that_key(kit: Kit) -> None:
    """A definition smuggled past validation (written straight into the store) names a key
    only another tenant has: the run fails (or follows on_error); the other tenant's workflow
    never runs for this lead."""
    kit.store.publish_workflow("followup", "Theirs", load_text(THEIRS), kit.now, "acme")
    body = load_text(MAIN_STARTS_MISSING.replace("missing", "followup"))
    kit.store.publish_workflow("main", "Main", body, kit.now, "rival")
    with_fallback = copy.deepcopy(body)
    with_fallback["key"] = "main2"
    with_fallback["nodes"][0]["on_error"] = "fallback"
    with_fallback["nodes"].append({"id": "fallback", "kind": "exit", "reason": "no_target"})
    kit.store.publish_workflow("main2", "Main 2", with_fallback, kit.now, "rival")
    kit.runtime.engine.catalog.bump()
    kit.add_contact("r1", tenant_id="rival")
    out = enroll(
        kit.store,
        kit.runtime.engine.catalog,
        "main",
        kit.now,
        contact_ids=["r1"],
        tenant_id="rival",
    )
    out2 = enroll(
        kit.store,
        kit.runtime.engine.catalog,
        "main2",
        kit.now,
        contact_ids=["r1"],
        tenant_id="rival",
    )
    kit.settle()
    failed, routed = kit.run(out.run_ids[0]), kit.run(out2.run_ids[0])
    assert (failed.status, failed.error) == (
        "failed",
        "go: start_workflow: no workflow 'followup' in this tenant",
    )
    assert (routed.status, routed.exit_reason) == ("exited", "no_target")
    assert kit.runs("followup") == []
    assert [m.body for m in kit.messages()] == []


THEIRS = """
key: followup
name: Theirs
start: a
nodes:
  - {id: a, kind: send_sms, body: "acme's own text"}
"""


def test_exit_and_goal_nodes_end_the_run_with_their_reason(kit: Kit) -> None:
    kit.publish(
        """
key: ends
name: Ends
start: b
nodes:
  - id: b
    kind: branch
    cases:
      - {when: {field: contact.stage, op: eq, value: client}, next: won}
    default: lost
  - {id: won, kind: goal, goal: converted}
  - {id: lost, kind: exit, reason: not_interested}
"""
    )
    kit.add_contact("a", stage="client")
    kit.add_contact("b")
    won, lost = kit.enroll("ends", "a", "b")
    kit.settle()
    assert (kit.run(won).status, kit.run(won).exit_reason) == ("exited", "converted")
    assert (kit.run(lost).status, kit.run(lost).exit_reason) == ("exited", "not_interested")
    assert kit.outcomes(won)[-1] == ("won", "goal:converted")
    assert kit.outcomes(lost)[-1] == ("lost", "exit:not_interested")


def test_condition_goal_exits_before_the_next_node(kit: Kit) -> None:
    kit.publish(
        """
key: drip
name: Drip
settings:
  goals:
    - name: became_client
      when: {field: contact.stage, op: eq, value: client}
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hello", next: w}
  - {id: w, kind: wait, duration: 1d, next: b}
  - {id: b, kind: send_sms, body: "Still looking?"}
"""
    )
    kit.add_contact("c1")
    (rid,) = kit.enroll("drip", "c1")
    kit.settle()
    kit.store.apply_contact_patches([ContactPatch("c1", set={"stage": "client"})], T0 + HOUR)
    kit.run_until(T0 + 2 * DAY)
    run = kit.run(rid)
    assert (run.status, run.exit_reason, run.ended_at) == ("exited", "became_client", T0 + DAY)
    assert kit.outcomes(rid)[-1] == ("b", "goal:became_client")
    assert [m.body for m in kit.messages()] == ["Hello"]


WAIT_UNTIL = """
key: morning
name: Morning
start: u
nodes:
  - {{id: u, kind: wait_until, time: "{time}", weekdays: {weekdays}, offset_days: {offset},
     next: a}}
  - {{id: a, kind: send_email, subject: "Morning", body: "Coffee?"}}
"""


@pytest.mark.parametrize(
    ("start", "zone", "time", "weekdays", "offset", "expected"),
    [
        # Same day when the time is still ahead.
        (T0, "America/New_York", "15:00", "[]", 0, at(2024, 6, 12, 15, 0)),
        # Next Monday (T0 is a Wednesday).
        (T0, "America/New_York", "10:00", "[mon]", 0, at(2024, 6, 17, 10, 0)),
        # The contact's zone, not the server's.
        (T0, "America/Los_Angeles", "10:00", "[]", 1, at(2024, 6, 13, 10, 0, tz=LA)),
        # Spring forward: Saturday noon EST to Sunday 10:00 EDT is 21 hours.
        (at(2024, 3, 9, 12), "America/New_York", "10:00", "[]", 1, at(2024, 3, 10, 10, 0)),
        # Fall back: Saturday noon EDT to Sunday 10:00 EST is 23 hours.
        (at(2024, 11, 2, 12), "America/New_York", "10:00", "[]", 1, at(2024, 11, 3, 10, 0)),
    ],
    ids=["same-day", "weekday", "contact-zone", "dst-spring", "dst-fall"],
)
def test_wait_until_local_time_of_day(
    make_kit: object,
    start: float,
    zone: str,
    time: str,
    weekdays: str,
    offset: int,
    expected: float,
) -> None:
    kit: Kit = make_kit(start=start)  # type: ignore[operator]
    kit.publish(WAIT_UNTIL.format(time=time, weekdays=weekdays, offset=offset))
    kit.add_contact("c1", time_zone=zone)
    (rid,) = kit.enroll("morning", "c1")
    kit.settle(start)
    assert kit.run(rid).wake_at == expected
    kit.run_until(expected + HOUR)
    (msg,) = kit.messages()
    assert msg.sent_at == expected
    tz = LA if zone == "America/Los_Angeles" else NY
    assert local(expected, tz).strftime("%H:%M") == time


def test_wait_until_dst_lengths() -> None:
    assert at(2024, 3, 10, 10, 0) - at(2024, 3, 9, 12) == 21 * HOUR
    assert at(2024, 11, 3, 10, 0) - at(2024, 11, 2, 12) == 23 * HOUR


def test_voice_call_queues_a_voice_message_with_its_payload(kit: Kit) -> None:
    kit.publish(
        """
key: call
name: Call
start: v
nodes:
  - id: v
    kind: voice_call
    mode: voicemail_drop
    audio_url: https://cdn.example.com/vm.mp3
    say: "Hi {{ contact.first_name }}, this is your agent"
"""
    )
    kit.add_contact("c1", first_name="Ann", consent={"voice": "opted_in"})
    kit.enroll("call", "c1")
    kit.settle()
    (msg,) = kit.messages()
    assert (msg.channel, msg.to, msg.status) == ("voice", "+12125550100", "delivered")
    assert msg.body == "Hi Ann, this is your agent"
    assert msg.payload == {
        "mode": "voicemail_drop",
        "audio_url": "https://cdn.example.com/vm.mp3",
        "say": "Hi Ann, this is your agent",
    }
    assert kit.ledger()[0].channel == "voice"


def test_voice_calls_respect_quiet_hours(make_kit: object) -> None:
    night = at(2024, 6, 12, 21, 15)
    kit: Kit = make_kit(start=night)  # type: ignore[operator]
    kit.publish(
        """
key: call
name: Call
start: v
nodes:
  - {id: v, kind: voice_call, say: "Hello"}
"""
    )
    kit.add_contact("c1", consent={"voice": "opted_in"})  # a voicemail drop needs it
    kit.enroll("call", "c1")
    kit.run_until(at(2024, 6, 13, 12, 0))
    (msg,) = kit.messages()
    assert msg.sent_at == at(2024, 6, 13, 8, 0)


CROSS_CHANNEL = """
key: cross
name: Cross channel
start: sms1
nodes:
  - {id: sms1, kind: send_sms, body: "Hi", next: w}
  - {id: w, kind: wait, duration: 1h, next: check}
  - id: check
    kind: branch
    cases:
      - {when: {field: steps.sms1.delivered, op: eq, value: true}, next: mail}
    default: stop
  - {id: mail, kind: send_email, subject: "Listings", body: "As promised", next: w2}
  - {id: w2, kind: wait, duration: 1d, next: opened}
  - id: opened
    kind: branch
    cases:
      - {when: {field: steps.mail.opened, op: eq, value: true}, next: thanks}
    default: call
  - {id: thanks, kind: send_sms, body: "Glad you liked them"}
  - {id: call, kind: voice_call, say: "Did you see my e-mail?"}
  - {id: stop, kind: exit, reason: no_sms}
"""


def test_conditions_on_another_channels_outcome(kit: Kit) -> None:
    kit.publish(CROSS_CHANNEL)
    kit.add_contact("reader")
    kit.add_contact("ignorer", consent={"voice": "opted_in"})
    kit.add_contact("opted", consent={"sms": "opted_out"})
    kit.add_contact("nophone", phone=None)
    reader, ignorer, opted, nophone = kit.enroll("cross", "reader", "ignorer", "opted", "nophone")
    kit.run_until(T0 + 2 * HOUR)
    (mail,) = kit.messages(contact_id="reader", channel="email")
    kit.emit("email.opened", "reader", {"message_id": mail.id}, occurred_at=T0 + 3 * HOUR)
    kit.run_until(T0 + 3 * DAY)

    def channels(cid: str) -> list[tuple[str, str]]:
        return [(m.channel, m.status) for m in kit.messages(contact_id=cid)]

    assert channels("reader") == [
        ("sms", "delivered"),
        ("email", "delivered"),
        ("sms", "delivered"),
    ]
    assert channels("ignorer") == [
        ("sms", "delivered"),
        ("email", "delivered"),
        ("voice", "delivered"),
    ]
    assert channels("opted") == [("sms", "suppressed")]
    assert channels("nophone") == [("sms", "suppressed")]
    assert kit.messages(contact_id="nophone")[0].suppressed_reason == "no_phone"
    for rid in (opted, nophone):
        assert (kit.run(rid).status, kit.run(rid).exit_reason) == ("exited", "no_sms")
    assert kit.run(reader).status == kit.run(ignorer).status == "completed"
    assert kit.messages(contact_id="reader", channel="email")[0].opened_at == T0 + 3 * HOUR
