"""The rules observer keeps its compiled rule set between event batches and reads it again
only when a rule was created, edited, enabled or disabled, by any process: here a second store
handle on the same database (as the API's process beside the worker's) writes the rules, and
the worker's next batch acts on them."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.model.automation import RuleSpec
from leadflow.model.tenancy import Tenant
from leadflow.rules.observer import RulesObserver
from leadflow.store import open_store
from support.engine_kit import Kit
from support.stores import SQL_BACKENDS


def _observer(kit: Kit) -> RulesObserver:
    (found,) = [o for o in kit.runtime.engine.registry.observers if isinstance(o, RulesObserver)]
    return found


def _tag(tag: str) -> list[dict[str, Any]]:
    return [{"kind": "add_tag", "tag": tag}]


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_a_rule_written_by_another_process_is_seen_at_the_next_batch(kit: Kit) -> None:
    kit.store.create_tenant(Tenant("acme", "Acme"), kit.now)
    kit.add_contact("c1", tenant_id="acme")
    observer = _observer(kit)
    other = open_store(kit.url)  # the other process's handle on the same database
    try:
        kit.emit("lead.updated", "c1")
        kit.settle()
        kit.emit("lead.updated", "c1")
        kit.settle()
        assert observer.loads == 1  # no rule anywhere: read once, then only checked
        assert kit.contact("c1").tags == []

        rule = other.create_rule("acme", RuleSpec("tag", "lead.updated", _tag("one")), True, 0.0)
        kit.emit("lead.updated", "c1")
        kit.settle()
        assert kit.contact("c1").tags == ["one"]
        assert observer.loads == 2

        kit.emit("lead.updated", "c1")
        kit.settle()
        assert observer.loads == 2  # nothing changed: the kept set served the batch

        spec = RuleSpec("tag", "lead.updated", _tag("two"))
        assert other.update_rule("acme", rule.id, spec, 0.0, expect_version=1) is not None
        kit.emit("lead.updated", "c1")
        kit.settle()
        assert kit.contact("c1").tags == ["one", "two"]  # version 2's action
        assert kit.store.list_firings("acme")[-1].rule_version == 2

        assert other.set_rule_enabled("acme", rule.id, False, 0.0) is not None
        fired = len(kit.store.list_firings("acme"))
        kit.emit("lead.updated", "c1")
        kit.settle()
        assert len(kit.store.list_firings("acme")) == fired  # disabled elsewhere: not fired

        assert other.set_rule_enabled("acme", rule.id, True, 0.0) is not None
        kit.emit("lead.updated", "c1")
        kit.settle()
        assert len(kit.store.list_firings("acme")) == fired + 1
    finally:
        other.close()


def test_the_versions_name_every_enabled_rule_and_change_with_each_write(kit: Kit) -> None:
    s = kit.store
    s.create_tenant(Tenant("acme", "Acme"), kit.now)
    s.create_tenant(Tenant("beta", "Beta"), kit.now)
    a = s.create_rule("acme", RuleSpec("a", "lead.*", _tag("a")), True, kit.now).id
    b = s.create_rule("beta", RuleSpec("b", "lead.*", _tag("b")), True, kit.now).id
    c = s.create_rule("acme", RuleSpec("c", "lead.*", _tag("c")), False, kit.now).id
    assert s.enabled_rule_versions() == [(a, 1), (b, 1)]
    assert s.enabled_rule_versions() == [(r.id, r.version) for r in s.enabled_rules()]
    s.update_rule("beta", b, RuleSpec("b2", "lead.*", _tag("b")), kit.now, expect_version=1)
    s.set_rule_enabled("acme", c, True, kit.now)
    s.set_rule_enabled("acme", a, False, kit.now)
    assert s.enabled_rule_versions() == [(b, 2), (c, 1)]
    assert s.enabled_rule_versions() == [(r.id, r.version) for r in s.enabled_rules()]
