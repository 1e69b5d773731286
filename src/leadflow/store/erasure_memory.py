"""The right to erasure on the in-memory backend: the same changes as the SQL backends (see
:mod:`leadflow.store.erasure_sql`), made under the store's lock, on the core's records and
indexes and on each feature part's tables."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from leadflow.model.erasure import (
    ERASED,
    ERASED_TENANT,
    Erasure,
    contact_digest,
    new_pseudonym,
)
from leadflow.model.records import (
    DUE_MESSAGE_STATUSES,
    Contact,
    MessageStatus,
    RunStatus,
)
from leadflow.store.contract_erasure import ErasureStore
from leadflow.store.memory_state import MemoryState
from leadflow.store.parts import MemoryPart

_LIVE = frozenset({RunStatus.ACTIVE, RunStatus.WAITING, RunStatus.PAUSED})


def _move(index: dict[Any, Any], old: Any, new: Any) -> None:
    if old in index:
        index[new] = index.pop(old)


class MemoryErasure(MemoryState, MemoryPart, ErasureStore):
    def _erasures(self) -> list[Erasure]:
        return self._table("_erasure_audit", list)

    def erase_contact(
        self, tenant_id: str, contact_id: str, erased_by: str, now: float
    ) -> Erasure | None:
        with self._lock:
            contact = self._contacts.get(contact_id)
            if contact is None or contact.tenant_id != tenant_id:
                return None
            p = new_pseudonym()
            counts: dict[str, int] = {}
            self._contacts[p] = Contact(
                id=p, tenant_id=ERASED_TENANT, stage=ERASED, created_at=now, updated_at=now
            )
            counts["orch_tasks"] = self._erase_tasks_input(tenant_id, contact_id, p)
            self._erase_outbox(contact_id, p, counts)
            self._erase_runs(contact_id, p, now, counts)
            self._erase_events(contact_id, p, now, counts)
            self._erase_features(tenant_id, contact_id, p, counts)
            del self._contacts[contact_id]
            counts["contacts"] = 1
            kept = {k: v for k, v in sorted(counts.items()) if v}
            audit = self._erasures()
            erasure = Erasure(
                len(audit) + 1, tenant_id, contact_digest(contact_id), erased_by, now, kept
            )
            audit.append(erasure)
            return replace(erasure, counts=dict(kept))

    def list_erasures(self, tenant_id: str, limit: int = 100) -> list[Erasure]:
        with self._lock:
            found = [e for e in self._erasures() if e.tenant_id == tenant_id]
        found.sort(key=lambda e: (e.erased_at, e.id), reverse=True)
        return [replace(e, counts=dict(e.counts)) for e in found[: max(limit, 0)]]

    # ------------------------------------------------------------------ the core's records
    def _erase_outbox(self, contact_id: str, p: str, counts: dict[str, int]) -> None:
        mids = self._messages_by_contact.pop(contact_id, [])
        ledger: dict[str, Any] = self._table("_sandbox_ledger", dict)
        for mid in mids:
            held = self._messages[mid]
            m = held.record
            if m.idempotency_key in ledger:
                del ledger[m.idempotency_key]  # the sandbox provider's copy of what it sent
                counts["sandbox_deliveries"] = counts.get("sandbox_deliveries", 0) + 1
            self._message_by_key.pop(m.idempotency_key, None)
            m.idempotency_key = f"erased:{p}:{mid}"
            self._message_by_key[m.idempotency_key] = mid
            m.contact_id, m.to, m.subject, m.body, m.payload, m.error = p, "", None, "", {}, None
            if m.status in DUE_MESSAGE_STATUSES:
                m.status, m.suppressed_reason = MessageStatus.SUPPRESSED, ERASED
            held.hver += 1  # its due-heap entries are stale now
        if mids:
            self._messages_by_contact[p] = mids
        counts["messages"] = len(mids)

    def _erase_runs(self, contact_id: str, p: str, now: float, counts: dict[str, int]) -> None:
        rids = self._runs_by_contact.pop(contact_id, [])
        steps = 0
        for rid in rids:
            held = self._runs[rid]
            run = held.record
            _move(self._runs_by_pair, (contact_id, run.workflow_key), (p, run.workflow_key))
            _move(self._marks, (contact_id, run.workflow_key), (p, run.workflow_key))
            if run.status in _LIVE:
                run.status, run.exit_reason, run.ended_at = RunStatus.CANCELLED, ERASED, now
            run.contact_id, run.context, run.error = p, {}, None
            run.wake_at = run.waiting_for = None
            run.seq += 1
            run.updated_at = now
            held.lease_owner = held.lease_until = None
            held.hver += 1  # its due-heap entries are stale now
            for sid in self._steps_by_run.get(rid, ()):
                step = self._steps[sid - 1]
                if step is not None:
                    step.data, step.error = {}, None
                    steps += 1
        for pair in [k for k in self._marks if k[0] == contact_id]:
            _move(self._marks, pair, (p, pair[1]))
            counts["enrollment_marks"] = counts.get("enrollment_marks", 0) + 1
        if rids:
            self._runs_by_contact[p] = rids
        counts["runs"], counts["steps"] = len(rids), steps

    def _erase_events(self, contact_id: str, p: str, now: float, counts: dict[str, int]) -> None:
        deliveries = getattr(self.__dict__.get("_hooks_data"), "deliveries", {})
        erased = 0
        for eid, held in self._events.items():
            e = held.record
            if e.contact_id != contact_id:
                continue
            if e.processed_at is None:
                self._mark_processed(held, now)
                e.ignored = ERASED
            self._event_by_key.pop(e.dedupe_key, None)
            e.dedupe_key = f"erased:{p}:{eid}"
            self._event_by_key[e.dedupe_key] = eid
            e.contact_id, e.data, e.error = p, {}, None
            erased += 1
            for did, d in list(deliveries.items()):
                if d.event_id == eid:
                    status = "failed" if d.status == "pending" else d.status
                    deliveries[did] = replace(
                        d,
                        payload={},
                        last_error=None,
                        status=status,
                        next_attempt_at=None,
                        lease_owner=None,
                        lease_until=None,
                    )
                    counts["webhook_deliveries"] = counts.get("webhook_deliveries", 0) + 1
        self._last_reply.pop(contact_id, None)
        counts["events"] = erased

    def _erase_tasks_input(self, tenant_id: str, contact_id: str, p: str) -> int:
        tables = self.__dict__.get("_orchestration_tables")
        if tables is None:
            return 0
        quoted, changed = json.dumps(contact_id), 0
        for batch in tables.tasks.values():
            for i, task in enumerate(batch):
                text = json.dumps(task.input)
                if task.tenant_id != tenant_id or quoted not in text:
                    continue
                batch[i] = replace(
                    task,
                    input=json.loads(text.replace(quoted, json.dumps(p))),
                    result=None,
                    error=None,
                )
                changed += 1
        return changed

    # ------------------------------------------------------------------ the feature tables
    def _erase_features(
        self, tenant_id: str, contact_id: str, p: str, counts: dict[str, int]
    ) -> None:
        def mine(record: Any) -> bool:
            return bool(record.tenant_id == tenant_id and record.contact_id == contact_id)

        def tally(table: str, n: int) -> None:
            counts[table] = counts.get(table, 0) + n

        rules = self.__dict__.get("_rules_data")
        if rules is not None:
            for firing in rules.firings.values():
                if mine(firing):
                    firing.contact_id, firing.actions, firing.error = p, [], None
                    tally("automation_rule_firings", 1)

        pb = self.__dict__.get("_playbooks_data")
        if pb is not None:
            for key, task in list(pb.tasks.items()):
                if mine(task):
                    step_key = task.step_key.replace(contact_id, p)
                    _move(pb.by_step, task.step_key, step_key)
                    pb.tasks[key] = replace(
                        task, contact_id=p, title="erased contact", body=None, step_key=step_key
                    )
                    tally("tasks", 1)
            for key, a in list(pb.appointments.items()):
                if mine(a):
                    pb.appointments[key] = replace(a, contact_id=p)
                    tally("appointments", 1)
            for key, o in list(pb.assignments.items()):
                if mine(o):
                    del pb.assignments[key]
                    step_key = key.replace(contact_id, p)
                    pb.assignments[step_key] = replace(
                        o, contact_id=p, reason="", step_key=step_key
                    )
                    tally("owner_assignments", 1)
        deals = self.__dict__.get("_deals_data", {})
        for key, deal in list(deals.items()):
            if mine(deal):
                deals[key] = replace(deal, contact_id=None)
                tally("deals", 1)
        experiments = self.__dict__.get("_experiments_data")
        if experiments is not None:
            for (tenant, _), by_contact in experiments.assignments.items():
                if tenant == tenant_id and contact_id in by_contact:
                    by_contact[p] = replace(by_contact.pop(contact_id), contact_id=p)
                    tally("experiment_assignments", 1)
        for name, table in (
            ("_listing_matches", "listing_matches"),
            ("_compose_drafts", "compose_drafts"),
        ):
            rows = self.__dict__.get(name, {})
            for key in [k for k, r in rows.items() if mine(r)]:
                del rows[key]
                tally(table, 1)
        links = self.__dict__.get("_messenger_links", {})
        for key in [k for k, v in links.items() if v == (tenant_id, contact_id)]:
            del links[key]
            tally("messenger_links", 1)
        crm = self.__dict__.get("_crm_tables")
        if crm is not None:
            for key in [k for k in crm.links if k[0] == tenant_id and k[2] == contact_id]:
                del crm.links[key]
                tally("crm_links", 1)
            for key in [k for k in crm.state if k[0] == tenant_id and k[2] == contact_id]:
                tally("crm_sync_state", len(crm.state.pop(key)))
            kept = [e for e in crm.log if not mine(e)]
            tally("crm_sync_log", len(crm.log) - len(kept))
            crm.log[:] = kept
            for did, d in list(crm.deliveries.items()):
                if mine(d):
                    key = d.idempotency_key.replace(contact_id, p)
                    _move(
                        crm.by_key,
                        (d.tenant_id, d.crm, d.idempotency_key),
                        (d.tenant_id, d.crm, key),
                    )
                    crm.deliveries[did] = replace(
                        d,
                        idempotency_key=key,
                        contact_id=None,
                        remote_id=None,
                        error=None,
                        request={},
                        calls=[],
                        status="failed" if d.status == "pending" else d.status,
                    )
                    tally("crm_deliveries", 1)


__all__ = ["MemoryErasure"]
