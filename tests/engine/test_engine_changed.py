"""``changed`` conditions in running workflows: the baseline is the contact as the run entered
(memory, SQLite and PostgreSQL)."""

from __future__ import annotations

from leadflow.definitions.conditions import ENTERED
from leadflow.model.records import ContactPatch
from support.engine_kit import DAY, HOUR, T0, Kit

FOLLOW_UP = """
key: follow-up
name: Follow up
triggers: [{type: event, event: lead.created}]
start: hello
nodes:
  - {id: hello, kind: send_sms, body: "Hello", next: pause}
  - {id: pause, kind: wait, duration: 2d, next: check}
  - id: check
    kind: branch
    cases:
      - when: {field: contact.stage, op: changed, value: {from: lead, to: client}}
        next: welcome
      - when: {field: contact.fields.budget, op: changed}
        next: budget
    default: nudge
  - {id: welcome, kind: send_sms, body: "Welcome aboard"}
  - {id: budget, kind: send_sms, body: "New budget noted"}
  - {id: nudge, kind: send_sms, body: "Still looking?"}
"""


def _set(kit: Kit, cid: str, **values: object) -> None:
    kit.store.apply_contact_patches([ContactPatch(cid, set=dict(values))], kit.now)


def _bodies(kit: Kit, cid: str) -> list[str | None]:
    return [m.body for m in kit.messages(contact_id=cid)]


def test_the_branch_sees_what_changed_since_the_run_entered(kit: Kit) -> None:
    kit.publish(FOLLOW_UP)
    kit.add_contact("won", stage="lead")
    kit.add_contact("other", stage="nurture")
    kit.add_contact("budget", stage="lead", fields={"budget": 300_000})
    kit.add_contact("same", stage="lead", fields={"budget": 300_000})
    for cid in ("won", "other", "budget", "same"):
        kit.emit("lead.created", cid)
    kit.settle()
    (run,) = kit.runs("follow-up", "won")
    # Only the paths the definition's changed leaves name are kept.
    assert run.context[ENTERED] == {"contact.fields.budget": None, "contact.stage": "lead"}
    kit.run_until(T0 + DAY)
    _set(kit, "won", stage="client")
    _set(kit, "other", stage="client")  # nurture -> client: not the transition asked for
    _set(kit, "budget", budget=350_000)
    _set(kit, "same", budget=300_000)  # written again, same value
    kit.run_until(T0 + 3 * DAY)
    assert _bodies(kit, "won") == ["Hello", "Welcome aboard"]
    assert _bodies(kit, "other") == ["Hello", "Still looking?"]
    assert _bodies(kit, "budget") == ["Hello", "New budget noted"]
    assert _bodies(kit, "same") == ["Hello", "Still looking?"]


def test_the_baseline_is_taken_at_enrollment_not_at_the_first_step(kit: Kit) -> None:
    kit.publish(FOLLOW_UP)
    kit.add_contact("c1", stage="lead")
    (run_id,) = kit.enroll("follow-up", "c1")
    assert kit.run(run_id).context[ENTERED]["contact.stage"] == "lead"
    _set(kit, "c1", stage="client")  # before the worker's first pass
    kit.run_until(T0 + 3 * DAY)
    assert _bodies(kit, "c1") == ["Hello", "Welcome aboard"]


def test_enroll_all_takes_the_baseline_at_the_first_step(kit: Kit) -> None:
    from leadflow.engine.workflows import enroll

    kit.publish(FOLLOW_UP)
    kit.add_contact("c1", stage="lead")
    out = enroll(kit.store, kit.runtime.engine.catalog, "follow-up", kit.now, everyone=True)
    assert out.created == 1
    kit.settle()
    (run,) = kit.runs("follow-up", "c1")
    assert run.context[ENTERED] == {"contact.fields.budget": None, "contact.stage": "lead"}
    _set(kit, "c1", stage="client")
    kit.run_until(T0 + 3 * DAY)
    assert _bodies(kit, "c1") == ["Hello", "Welcome aboard"]


GOALS = """
key: until-client
name: Until client
triggers: [{type: event, event: lead.created}]
settings:
  goals:
    - {name: became-client, when: {field: contact.stage, op: changed, value: {to: client}}}
    - name: moved-state
      event: lead.updated
      when: {field: contact.state, op: changed}
start: a
nodes:
  - {id: a, kind: send_sms, body: "One", next: w1}
  - {id: w1, kind: wait, duration: 1d, next: b}
  - {id: b, kind: send_sms, body: "Two", next: w2}
  - {id: w2, kind: wait, duration: 1d, next: c}
  - {id: c, kind: send_sms, body: "Three"}
"""


def test_goals_exit_on_a_change_and_not_before(kit: Kit) -> None:
    kit.publish(GOALS)
    kit.add_contact("client", stage="client")  # already a client when it entered
    kit.add_contact("convert", stage="lead")
    kit.add_contact("mover", state="FL")
    for cid in ("client", "convert", "mover"):
        kit.emit("lead.created", cid)
    kit.settle()
    _set(kit, "convert", stage="client")
    _set(kit, "mover", state="GA")
    kit.emit("lead.updated", "mover")
    kit.run_until(T0 + 3 * DAY)
    assert _bodies(kit, "client") == ["One", "Two", "Three"]  # no change: the goal never met
    (convert,) = kit.runs("until-client", "convert")
    assert (convert.status, convert.exit_reason) == ("exited", "became-client")
    assert _bodies(kit, "convert") == ["One"]
    (mover,) = kit.runs("until-client", "mover")
    assert (mover.status, mover.exit_reason) == ("exited", "moved-state")
    assert _bodies(kit, "mover") == ["One"]


WAIT_MATCH = """
key: wait-stage
name: Wait for a stage move
triggers: [{type: event, event: lead.created}]
start: w
nodes:
  - id: w
    kind: wait_for_event
    event: lead.updated
    match: {field: contact.stage, op: changed}
    timeout: 3d
    on_event: moved
    on_timeout: stale
  - {id: moved, kind: send_sms, body: "Moved"}
  - {id: stale, kind: send_sms, body: "Stale"}
"""


def test_wait_for_event_match_on_a_change(kit: Kit) -> None:
    kit.publish(WAIT_MATCH)
    kit.add_contact("c1", stage="lead")
    kit.add_contact("c2", stage="lead")
    kit.emit("lead.created", "c1")
    kit.emit("lead.created", "c2")
    kit.settle()
    kit.run_until(T0 + HOUR)
    kit.emit("lead.updated", "c1")  # nothing changed yet: keeps waiting
    kit.emit("lead.updated", "c2")
    kit.settle()
    assert _bodies(kit, "c1") == []
    _set(kit, "c1", stage="client")
    kit.emit("lead.updated", "c1")
    kit.run_until(T0 + 4 * DAY)
    assert _bodies(kit, "c1") == ["Moved"]
    assert _bodies(kit, "c2") == ["Stale"]


PARENT = """
key: parent
name: Parent
triggers: [{type: event, event: lead.created}]
start: go
nodes:
  - {id: go, kind: start_workflow, workflow: follow-up}
"""


def test_a_started_workflow_keeps_its_own_baseline(kit: Kit) -> None:
    kit.publish(FOLLOW_UP.replace("triggers: [{type: event, event: lead.created}]", "triggers: []"))
    kit.publish(PARENT)
    kit.add_contact("c1", stage="lead", fields={"budget": 1})
    kit.emit("lead.created", "c1")
    kit.settle()
    (child,) = kit.runs("follow-up", "c1")
    assert child.context[ENTERED] == {"contact.fields.budget": 1, "contact.stage": "lead"}
    (parent,) = kit.runs("parent", "c1")
    assert ENTERED not in parent.context  # a workflow without changed keeps nothing


WAIT_PLAIN = WAIT_MATCH.replace("    match: {field: contact.stage, op: changed}\n", "")


def test_a_run_migrated_into_changed_gets_its_baseline_when_moved(kit: Kit) -> None:
    from leadflow.engine.migrate import apply_migration, plan_migration

    kit.publish(WAIT_PLAIN)
    kit.add_contact("c1", stage="lead")
    kit.emit("lead.created", "c1")
    kit.settle()
    (run,) = kit.runs("wait-stage", "c1")
    assert ENTERED not in run.context and run.status == "waiting"
    kit.publish(WAIT_MATCH)  # version 2 waits for a stage move
    catalog = kit.runtime.engine.catalog
    plan = plan_migration(kit.store, catalog, "wait-stage", 2)
    assert apply_migration(kit.store, catalog, plan, kit.now).moved == 1
    assert kit.run(run.id).context[ENTERED] == {"contact.stage": "lead"}
    kit.emit("lead.updated", "c1")  # same stage: still waiting (without a baseline it never moves)
    kit.settle()
    assert _bodies(kit, "c1") == []
    _set(kit, "c1", stage="client")
    kit.emit("lead.updated", "c1")
    kit.settle()
    assert _bodies(kit, "c1") == ["Moved"]


OWN_UPDATE = """
key: own-update
name: Own update
triggers: [{type: event, event: lead.created}]
start: tag
nodes:
  - {id: tag, kind: update_contact, add_tags: [nurtured], next: check}
  - id: check
    kind: branch
    cases:
      - {when: {field: contact.tags, op: changed}, next: yes}
    default: no
  - {id: yes, kind: send_sms, body: "Tagged"}
  - {id: no, kind: send_sms, body: "Untouched"}
"""


def test_a_change_made_by_the_run_itself_counts(kit: Kit) -> None:
    kit.publish(OWN_UPDATE)
    kit.add_contact("fresh", tags=["buyer"])
    kit.add_contact("already", tags=["nurtured"])
    kit.emit("lead.created", "fresh")
    kit.emit("lead.created", "already")
    kit.run_until(T0 + HOUR)
    assert _bodies(kit, "fresh") == ["Tagged"]
    assert _bodies(kit, "already") == ["Untouched"]  # the tag was there already: no change


SCHEDULED = """
key: weekly-check
name: Weekly check
triggers: [{type: schedule, cron: "0 9 * * *", timezone: America/New_York}]
start: pause
nodes:
  - {id: pause, kind: wait, duration: 1d, next: check}
  - id: check
    kind: branch
    cases:
      - {when: {field: contact.stage, op: changed}, next: moved}
    default: same
  - {id: moved, kind: send_email, subject: "Moved", body: "Stage moved"}
  - {id: same, kind: send_email, subject: "Same", body: "Stage kept"}
"""


def test_a_scheduled_run_compares_with_the_contact_at_the_fire(kit: Kit) -> None:
    from support.engine_kit import at

    kit.publish(SCHEDULED)
    kit.add_contact("c1", stage="lead")
    kit.add_contact("c2", stage="lead")
    fire = at(2024, 6, 13, 9, 0)  # the first 09:00 after T0
    kit.run_until(fire + HOUR)
    (run,) = kit.runs("weekly-check", "c1")
    assert run.context[ENTERED] == {"contact.stage": "lead"}
    _set(kit, "c1", stage="client")
    kit.run_until(fire + DAY + HOUR)
    assert [m.subject for m in kit.messages(contact_id="c1")][:1] == ["Moved"]
    assert [m.subject for m in kit.messages(contact_id="c2")][:1] == ["Same"]
