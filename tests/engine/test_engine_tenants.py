"""A lead is only ever enrolled by its own tenant's workflows: event triggers, cron schedules
and manual enrollment all stay inside the tenant that owns the workflow."""

from __future__ import annotations

from leadflow.definitions.io import load_text
from leadflow.engine.workflows import enroll, publish
from support.engine_kit import DAY, HOUR, Kit, at

WELCOME = """
key: {key}
name: Welcome
triggers: [{{type: event, event: lead.created}}]
settings: {{reentry: {{policy: always}}}}
start: a
nodes:
  - {{id: a, kind: send_sms, body: "Hi from {key}"}}
"""

DIGEST = """
key: digest
name: Daily digest
triggers: [{type: schedule, cron: "0 9 * * *", timezone: America/New_York}]
settings: {reentry: {policy: always}}
start: a
nodes:
  - {id: a, kind: send_email, subject: Digest, body: "New listings"}
"""


def _publish(kit: Kit, source: str, tenant: str) -> None:
    catalog = kit.runtime.engine.catalog
    publish(kit.store, catalog, load_text(source), kit.now, tenant_id=tenant)


def test_an_event_triggers_only_its_contacts_tenant_workflows(kit: Kit) -> None:
    _publish(kit, WELCOME.format(key="acme-welcome"), "acme")
    _publish(kit, WELCOME.format(key="other-welcome"), "other")
    kit.add_contact("a1", tenant_id="acme")
    kit.add_contact("o1", tenant_id="other")
    kit.add_contact("d1")  # the default tenant has no workflow
    for cid in ("a1", "o1", "d1"):
        kit.emit("lead.created", cid, {})
    kit.settle()
    assert [r.contact_id for r in kit.runs("acme-welcome")] == ["a1"]
    assert [r.contact_id for r in kit.runs("other-welcome")] == ["o1"]
    bodies = {m.contact_id: m.body for m in kit.messages()}
    assert bodies == {"a1": "Hi from acme-welcome", "o1": "Hi from other-welcome"}


def test_a_schedule_enrolls_only_its_tenants_contacts(kit: Kit) -> None:
    _publish(kit, DIGEST, "acme")
    kit.add_contact("a1", tenant_id="acme")
    kit.add_contact("a2", tenant_id="acme")
    kit.add_contact("o1", tenant_id="other")
    kit.run_until(at(2024, 6, 13, 9, 0) + HOUR)
    assert sorted(r.contact_id for r in kit.runs("digest")) == ["a1", "a2"]


def test_manual_enrollment_skips_other_tenants_contacts(kit: Kit) -> None:
    _publish(kit, WELCOME.format(key="w"), "acme")
    kit.add_contact("a1", tenant_id="acme")
    kit.add_contact("o1", tenant_id="other")
    catalog = kit.runtime.engine.catalog
    out = enroll(kit.store, catalog, "w", kit.now, contact_ids=["a1", "o1"], tenant_id="acme")
    assert (out.created, out.skipped) == (1, 1)
    out = enroll(kit.store, catalog, "w", kit.now + DAY, everyone=True, tenant_id="acme")
    assert [r.contact_id for r in kit.runs("w")] == ["a1"]
    assert out.created == 0  # a1 is still live: re-entry waits


def test_two_tenants_publish_the_same_key_each_with_its_own_versions(kit: Kit) -> None:
    _publish(kit, WELCOME.format(key="w"), "acme")
    _publish(kit, WELCOME.format(key="w").replace("Hi from", "Hello from"), "other")
    _publish(kit, WELCOME.format(key="w").replace("Hi from", "Hello again from"), "other")
    acme, other = kit.store.get_workflow("acme", "w"), kit.store.get_workflow("other", "w")
    assert acme is not None and (acme.tenant_id, acme.version) == ("acme", 1)
    assert other is not None and (other.tenant_id, other.version) == ("other", 2)
    assert kit.store.get_workflow("default", "w") is None
    kit.add_contact("a1", tenant_id="acme")
    kit.add_contact("o1", tenant_id="other")
    for cid in ("a1", "o1"):
        kit.emit("lead.created", cid, {})
    kit.settle()
    bodies = {m.contact_id: m.body for m in kit.messages()}
    assert bodies == {"a1": "Hi from w", "o1": "Hello again from w"}
    assert {(r.contact_id, r.version) for r in kit.runs("w")} == {("a1", 1), ("o1", 2)}


def test_the_same_scheduled_key_in_two_tenants_fires_for_each_own_contacts(kit: Kit) -> None:
    _publish(kit, DIGEST, "acme")
    _publish(kit, DIGEST.replace("New listings", "Other listings"), "other")
    kit.add_contact("a1", tenant_id="acme")
    kit.add_contact("o1", tenant_id="other")
    kit.run_until(at(2024, 6, 13, 9, 0) + HOUR)
    bodies = sorted((m.contact_id, m.body) for m in kit.messages())
    assert bodies == [("a1", "New listings"), ("o1", "Other listings")]
