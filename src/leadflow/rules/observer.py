"""How the workers evaluate rules: an event observer that sees every claimed batch of events.

It runs after the other observers (consent changes and STOP answers first) and before the
batch's runs advance; what it changes in a contact is handed on to the runs. A crash before
the batch commits shows it the batch again: the firings recorded meanwhile are skipped, the rest
are planned and written again (:mod:`leadflow.rules.apply`).

The rule set is read and compiled once and kept while the store's
:meth:`~leadflow.store.contract_rules.RuleStore.enabled_rule_versions` (each enabled rule's id
and version, one small query) stays the same: a rule created, edited, enabled or disabled by
any process is seen at the next batch.
"""

from __future__ import annotations

from leadflow.engine.plugins import Registry
from leadflow.engine.ports import EventBatch
from leadflow.rules.apply import apply_firings
from leadflow.rules.evaluate import RuleSet, plan_firings
from leadflow.store.contract import Store


class RulesObserver:
    event_types: frozenset[str] = frozenset()  # it loads the contacts it needs itself

    def __init__(self, store: Store, registry: Registry) -> None:
        self.store = store
        self.registry = registry
        self.fired = 0  # firings recorded by this observer (tests, stats)
        self.loads = 0  # times the rule set was read and compiled (tests, stats)
        self._rules: tuple[list[tuple[int, int]], RuleSet] | None = None

    def rules(self) -> RuleSet:
        """The enabled rules, read again only when their ids or versions changed."""
        versions = self.store.enabled_rule_versions()
        kept = self._rules
        if kept is not None and kept[0] == versions:
            return kept[1]
        # Read after the versions: a write in between is seen again at the next batch.
        rules = RuleSet(self.store.enabled_rules())
        self._rules = (versions, rules)
        self.loads += 1
        return rules

    def observe(self, batch: EventBatch) -> None:
        rules = self.rules()
        if not len(rules):
            return
        events = [e for e in batch.events if e.contact_id and rules.may_match(e.type)]
        if not events:
            return
        wanted = {e.contact_id for e in events if e.contact_id}
        contacts = {cid: c for cid, c in batch.contacts.items() if cid in wanted}
        missing = wanted - contacts.keys()
        if missing:
            contacts.update(self.store.get_contacts(missing))
        fired = self.store.fired(e.id for e in events)
        planned, changed = plan_firings(rules, events, contacts, self.registry, fired, batch.now)
        if not planned:
            return
        self.fired += apply_firings(self.store, planned, "worker", batch.now).recorded
        seen = changed.keys() & batch.contacts.keys()
        if seen:  # the runs of this batch see the contacts as the rules left them
            batch.contacts = {**batch.contacts, **self.store.get_contacts(seen)}


__all__ = ["RulesObserver"]
