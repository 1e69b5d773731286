"""Automation rules and their firings in memory (the same contract as SQL)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from leadflow.model.automation import FiringEffects, Rule, RuleFiring, RuleSpec
from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.records import ContactPatch, EnrollOutcome, EnrollRequest, NewEvent
from leadflow.store.contract_rules import RuleStore
from leadflow.store.parts import MemoryPart
from leadflow.store.rules_spec_codec import spec_from_json, spec_json


@dataclass(slots=True)
class _Head:
    tenant_id: str
    version: int
    enabled: bool
    created_at: float
    updated_at: float


@dataclass(slots=True)
class _Tables:
    heads: dict[int, _Head] = field(default_factory=dict)
    versions: dict[tuple[int, int], tuple[str, float]] = field(default_factory=dict)
    last_rule_id: int = 0
    firings: dict[int, RuleFiring] = field(default_factory=dict)
    fired: dict[tuple[int, int], int] = field(default_factory=dict)
    rules_of_event: dict[int, list[int]] = field(default_factory=dict)
    last_firing_id: int = 0


class MemoryRules(MemoryPart, RuleStore):
    if TYPE_CHECKING:

        def _signal_work(self) -> None: ...

        @staticmethod
        def _encode_event(e: NewEvent) -> NewEvent: ...

        def _insert_events(self, encoded: Sequence[NewEvent], now: float) -> list[int | None]: ...

        @staticmethod
        def _check_patch(patch: ContactPatch) -> None: ...

        def _patches(self, patches: Sequence[ContactPatch], now: float) -> None: ...

        @staticmethod
        def _check_enrollment(req: EnrollRequest) -> dict[str, Any]: ...

        def _insert_runs(
            self,
            requests: Sequence[EnrollRequest],
            contexts: Sequence[dict[str, Any]],
            now: float,
        ) -> EnrollOutcome: ...

    def _rules(self) -> _Tables:
        return self._table("_rules_data", _Tables)

    def _rule(self, t: _Tables, rule_id: int, version: int | None = None) -> Rule | None:
        head = t.heads.get(rule_id)
        if head is None:
            return None
        v = head.version if version is None else version
        found = t.versions.get((rule_id, v))
        if found is None:
            return None
        text, created = found
        updated = head.updated_at if v == head.version else created
        return Rule(
            rule_id, head.tenant_id, v, spec_from_json(text), head.enabled, head.created_at, updated
        )

    def create_rule(self, tenant_id: str, spec: RuleSpec, enabled: bool, now: float) -> Rule:
        text = spec_json(spec)
        with self._lock:
            self._need_tenant(tenant_id, "automation_rules.tenant_id")
            t = self._rules()
            t.last_rule_id += 1
            rid = t.last_rule_id
            t.heads[rid] = _Head(tenant_id, 1, enabled, now, now)
            t.versions[(rid, 1)] = (text, now)
            out = self._rule(t, rid)
        assert out is not None
        return out

    def update_rule(
        self, tenant_id: str, rule_id: int, spec: RuleSpec, now: float, expect_version: int
    ) -> Rule | None:
        text = spec_json(spec)
        with self._lock:
            t = self._rules()
            head = t.heads.get(rule_id)
            if head is None or head.tenant_id != tenant_id or head.version != expect_version:
                return None
            head.version += 1
            head.updated_at = now
            t.versions[(rule_id, head.version)] = (text, now)
            return self._rule(t, rule_id)

    def set_rule_enabled(
        self, tenant_id: str, rule_id: int, enabled: bool, now: float
    ) -> Rule | None:
        with self._lock:
            t = self._rules()
            head = t.heads.get(rule_id)
            if head is None or head.tenant_id != tenant_id:
                return None
            head.enabled = enabled
            head.updated_at = now
            return self._rule(t, rule_id)

    def get_rule(self, tenant_id: str, rule_id: int, version: int | None = None) -> Rule | None:
        with self._lock:
            t = self._rules()
            head = t.heads.get(rule_id)
            if head is None or head.tenant_id != tenant_id:
                return None
            return self._rule(t, rule_id, version)

    def list_rules(self, tenant_id: str) -> list[Rule]:
        with self._lock:
            t = self._rules()
            found = [
                self._rule(t, rid) for rid in sorted(t.heads) if t.heads[rid].tenant_id == tenant_id
            ]
        return [r for r in found if r is not None]

    def rule_versions(self, tenant_id: str, rule_id: int) -> list[Rule]:
        with self._lock:
            t = self._rules()
            head = t.heads.get(rule_id)
            if head is None or head.tenant_id != tenant_id:
                return []
            found = [self._rule(t, rule_id, v) for v in range(1, head.version + 1)]
        return [r for r in found if r is not None]

    def enabled_rules(self) -> list[Rule]:
        with self._lock:
            t = self._rules()
            found = [self._rule(t, rid) for rid in sorted(t.heads) if t.heads[rid].enabled]
        return [r for r in found if r is not None]

    def enabled_rule_versions(self) -> list[tuple[int, int]]:
        with self._lock:
            heads = self._rules().heads
            return [(rid, heads[rid].version) for rid in sorted(heads) if heads[rid].enabled]

    def fired(self, event_ids: Iterable[int]) -> set[tuple[int, int]]:
        with self._lock:
            found = self._rules().rules_of_event
            return {(e, r) for e in set(event_ids) for r in found.get(e, ())}

    def record_firings(
        self, firings: Sequence[tuple[RuleFiring, FiringEffects]], now: float
    ) -> list[bool]:
        checked = []  # everything that can raise, before anything changes
        for firing, effects in firings:
            applied = firing.outcome == "applied"
            patches = list(effects.patches) if applied else []
            for p in patches:
                self._check_patch(p)
            requests = list(effects.enrollments) if applied else []
            contexts = [self._check_enrollment(r) for r in requests]
            encoded = [self._encode_event(e) for e in effects.events] if applied else []
            checked.append((loads(dumps(firing.actions)), patches, requests, contexts, encoded))
        out: list[bool] = []
        signal = False
        with self._lock:
            t = self._rules()
            all_patches: list[ContactPatch] = []
            all_requests: list[EnrollRequest] = []
            all_contexts: list[dict[str, Any]] = []
            all_events: list[NewEvent] = []
            for (firing, _), (actions, patches, requests, contexts, encoded) in zip(
                firings, checked, strict=True
            ):
                pair = (firing.event_id, firing.rule_id)
                if pair in t.fired:
                    out.append(False)
                    continue
                t.last_firing_id += 1
                fid = t.last_firing_id
                t.firings[fid] = replace(firing, actions=actions, id=fid)
                t.fired[pair] = fid
                t.rules_of_event.setdefault(firing.event_id, []).append(firing.rule_id)
                firing.id = fid
                out.append(True)
                all_patches += patches
                all_requests += requests
                all_contexts += contexts
                all_events += encoded
            self._patches(all_patches, now)
            if all_requests:
                signal = self._insert_runs(all_requests, all_contexts, now).created > 0
            if all_events:
                signal = any(i is not None for i in self._insert_events(all_events, now)) or signal
        if signal:
            self._signal_work()
        return out

    def list_firings(
        self, tenant_id: str, rule_id: int | None = None, after_id: int = 0, limit: int = 100
    ) -> list[RuleFiring]:
        with self._lock:
            t = self._rules()
            out = [
                replace(f, actions=loads(dumps(f.actions)))
                for fid, f in sorted(t.firings.items())
                if fid > after_id
                and f.tenant_id == tenant_id
                and (rule_id is None or f.rule_id == rule_id)
            ]
        return out[:limit]


__all__ = ["MemoryRules"]
