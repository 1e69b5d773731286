"""Automation rules: versioned rules per tenant and their firings (one per event and rule)."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence

from leadflow.model.automation import FiringEffects, Rule, RuleFiring, RuleSpec


class RuleStore(abc.ABC):
    """The automation rules methods of the store contract. Every read and write but
    :meth:`enabled_rules` and :meth:`fired` takes the tenant: another tenant's rule is absent."""

    @abc.abstractmethod
    def create_rule(self, tenant_id: str, spec: RuleSpec, enabled: bool, now: float) -> Rule:
        """A new rule at version 1 (ids are never reused)."""

    @abc.abstractmethod
    def update_rule(
        self, tenant_id: str, rule_id: int, spec: RuleSpec, now: float, expect_version: int
    ) -> Rule | None:
        """A new version of the rule with ``spec``, only if its current version is still
        ``expect_version`` (else None, nothing written); None also when it is not the tenant's."""

    @abc.abstractmethod
    def set_rule_enabled(
        self, tenant_id: str, rule_id: int, enabled: bool, now: float
    ) -> Rule | None: ...

    @abc.abstractmethod
    def get_rule(self, tenant_id: str, rule_id: int, version: int | None = None) -> Rule | None:
        """The rule at ``version`` (its current one when None)."""

    @abc.abstractmethod
    def list_rules(self, tenant_id: str) -> list[Rule]:
        """The tenant's rules at their current versions, by id."""

    @abc.abstractmethod
    def rule_versions(self, tenant_id: str, rule_id: int) -> list[Rule]:
        """Every version of the rule, oldest first (empty when it is not the tenant's)."""

    @abc.abstractmethod
    def enabled_rules(self) -> list[Rule]:
        """Every tenant's enabled rules at their current versions (what the workers evaluate)."""

    def enabled_rule_versions(self) -> list[tuple[int, int]]:
        """(id, current version) of every tenant's enabled rule, by id: it changes whenever
        :meth:`enabled_rules` would answer differently (a rule created, edited, enabled or
        disabled, by any process), and is cheaper to read (no spec)."""
        return [(r.id, r.version) for r in self.enabled_rules()]

    @abc.abstractmethod
    def fired(self, event_ids: Iterable[int]) -> set[tuple[int, int]]:
        """The (event id, rule id) pairs that have a firing, of these events."""

    def record_firing(self, firing: RuleFiring, effects: FiringEffects, now: float) -> bool:
        """:meth:`record_firings` of one firing."""
        return self.record_firings([(firing, effects)], now)[0]

    @abc.abstractmethod
    def record_firings(
        self, firings: Sequence[tuple[RuleFiring, FiringEffects]], now: float
    ) -> list[bool]:
        """In ONE transaction, for each firing in order: insert it unless (event, rule) has one
        (or an earlier one of the list has the same pair), and only if it was inserted and its
        outcome is ``applied``, apply its effects (contact patches in order, enrolments,
        events). For each, True when this call recorded it (its id is set), False when the
        pair had fired already (nothing of it written)."""

    @abc.abstractmethod
    def list_firings(
        self, tenant_id: str, rule_id: int | None = None, after_id: int = 0, limit: int = 100
    ) -> list[RuleFiring]:
        """The tenant's firings (of one rule when given), by id, after ``after_id``."""


__all__ = ["RuleStore"]
