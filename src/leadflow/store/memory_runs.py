"""Runs in the memory backend: enrolment, claims, seq-guarded batch commits (of advances, and of
processed events with their products) and the run and step queries."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from leadflow.errors import StoreError
from leadflow.model.records import (
    BRANCH_LINK,
    ENDED_STATUSES,
    LIVE_STATUSES,
    RUN_STATUSES,
    Advance,
    ClaimedRun,
    CommitResult,
    EnrollOutcome,
    EnrollRequest,
    MessageFacts,
    MessageStatus,
    NodeCount,
    Run,
    RunFilter,
    Scope,
    Step,
)
from leadflow.model.rules import (
    RunStats,
    check_message_status,
    check_reentry,
    plan_enrollments,
    plan_event_advances,
    rate_window_start,
)
from leadflow.store.contract import makes_work
from leadflow.store.contract_work import EnrollAll, EventBatch
from leadflow.store.memory_state import (
    OPEN_SET,
    HeldRun,
    MemoryState,
    NewIds,
    Prepared,
    as_json,
    copies_of,
    copy_contact,
    copy_run,
    copy_step,
    ids_to_scan,
    require,
    require_fields,
)

_STEP_REQUIRED = ("node", "kind", "step_seq", "attempt", "outcome", "started_at")


class MemoryRuns(MemoryState):
    # ------------------------------------------------------------------ runs: indexes
    def _index_run(self, held: HeldRun) -> None:
        """Call after a change of status/wake_at: invalidate old heap entries, add the new."""
        held.hver += 1
        run = held.record
        if run.status in LIVE_STATUSES and run.wake_at is not None:
            heapq.heappush(self._run_heap, (run.wake_at, run.id, held.hver))

    def _stats(self, contact_id: str, key: str, since: float) -> RunStats | None:
        ids = self._runs_by_pair.get((contact_id, key))
        mark = self._marks.get((contact_id, key))
        if not ids and mark is None:
            return None
        runs = [self._runs[i].record for i in ids or ()]
        stats = RunStats(
            len(runs),
            sum(1 for r in runs if r.status in OPEN_SET),
            max((r.created_at for r in runs), default=None),
            sum(1 for r in runs if r.created_at > since and not _is_branch(r)),
        )
        if mark is not None:
            stats.add_pruned(*mark)
        return stats

    def _insert_runs(
        self, requests: Sequence[EnrollRequest], contexts: Sequence[dict[str, Any]], now: float
    ) -> EnrollOutcome:
        """Plan and insert (requests and contexts already checked)."""
        by_request = {id(r): c for r, c in zip(requests, contexts, strict=True)}
        since = rate_window_start(now)
        accepted, skipped = plan_enrollments(
            requests, now, self._contacts.__contains__, lambda c, k: self._stats(c, k, since)
        )
        out = EnrollOutcome(len(accepted), skipped, [])
        for req in accepted:
            self._last_run_id += 1
            rid = self._last_run_id
            held = HeldRun(
                Run(
                    rid,
                    req.workflow_key,
                    req.version,
                    req.contact_id,
                    req.start_node,
                    "active",
                    now,
                    by_request[id(req)],
                    created_at=now,
                    updated_at=now,
                )
            )
            self._runs[rid] = held
            self._runs_by_contact.setdefault(req.contact_id, []).append(rid)
            self._runs_by_pair.setdefault((req.contact_id, req.workflow_key), []).append(rid)
            self._runs_by_key.setdefault(req.workflow_key, []).append(rid)
            self._index_run(held)
            out.run_ids.append(rid)
        return out

    @staticmethod
    def _check_enrollment(req: EnrollRequest) -> dict[str, Any]:
        check_reentry(req.reentry, req.reentry_days)
        require(req.workflow_key, "runs.workflow_key")
        require(req.version, "runs.version")
        context: dict[str, Any] = as_json(req.context)
        return context

    # ------------------------------------------------------------------ runs
    def enroll(self, requests: Sequence[EnrollRequest], now: float) -> EnrollOutcome:
        contexts = [self._check_enrollment(r) for r in requests]
        with self._lock:
            out = self._insert_runs(requests, contexts, now)
        if out.created:
            self._signal_work()
        return out

    def _enroll_all(self, q: EnrollAll) -> EnrollOutcome:
        with self._lock:
            requests = [
                EnrollRequest(
                    q.workflow_key, q.version, cid, q.start_node, {}, q.reentry, q.reentry_days
                )
                for cid in sorted(self._contacts)
                if q.tenant_id is None or self._contacts[cid].tenant_id == q.tenant_id
            ]
            out = self._insert_runs(requests, [{} for _ in requests], q.now)
            out.run_ids = []
        if out.created:
            self._signal_work()
        return out

    def claim_runs(self, owner: str, now: float, limit: int, lease_s: float) -> list[ClaimedRun]:
        with self._lock:
            heap = self._run_heap
            runs = self._runs
            claimed: list[Run] = []
            keep: list[tuple[float, int, int]] = []
            while heap and len(claimed) < limit and heap[0][0] <= now:
                entry = heapq.heappop(heap)
                held = runs.get(entry[1])
                if held is None or held.hver != entry[2]:
                    continue  # stale
                keep.append(entry)
                until = held.lease_until
                if until is not None and until >= now:
                    continue  # leased to someone
                held.lease_owner = owner
                held.lease_until = now + lease_s
                claimed.append(held.record)
            for entry in keep:
                heapq.heappush(heap, entry)
            out = []
            for run in claimed:
                contact = self._contacts.get(run.contact_id)
                out.append(
                    ClaimedRun(copy_run(run), None if contact is None else copy_contact(contact))
                )
            return out

    def commit_advances(self, owner: str, advances: Sequence[Advance], now: float) -> CommitResult:
        ids = NewIds()
        with self._lock:
            result = self._commit(advances, [], [], [], set(), now, ids)
        ids.assign()
        if result.applied and makes_work(advances):
            self._signal_work()
        return result

    def _complete_events(self, b: EventBatch) -> CommitResult:
        ids = NewIds()
        with self._lock:
            plan = plan_event_advances(b.advances, self._seq_of)
            retry = plan.retry_events
            kept = [r for r in b.enrollments if r.event_id is None or r.event_id not in retry]
            self._commit(plan.accepted, kept, b.facts, b.event_ids, retry, b.now, ids)
        ids.assign()
        if retry or kept or makes_work(plan.accepted):
            self._signal_work()
        return CommitResult(
            len(plan.accepted), len(plan.rejected), [a.run_id for a in plan.rejected]
        )

    def _prepare(self, a: Advance) -> Prepared:
        if a.status not in RUN_STATUSES:
            raise StoreError(f"run {a.run_id}: unknown status {a.status!r}")
        require(a.step_seq, "runs.step_seq")
        require(a.attempt, "runs.attempt")
        steps = []
        for s in a.steps:
            require_fields("steps", s, _STEP_REQUIRED)
            data = None if s.data is None else as_json(s.data)
            steps.append(replace(s, run_id=a.run_id, data=data, id=None))
        return Prepared(
            a,
            as_json(a.context),
            steps,
            [self._encode_message(m) for m in a.messages],
            [self._check_enrollment(r) for r in a.enrollments],
            [self._encode_event(e) for e in a.events],
        )

    def _seq_of(self, run_id: int) -> int | None:
        held = self._runs.get(run_id)
        return None if held is None else held.record.seq

    def _commit(
        self,
        advances: Sequence[Advance],
        enrollments: Sequence[EnrollRequest],
        facts: Sequence[MessageFacts],
        event_ids: Sequence[int],
        retry_events: set[int],
        now: float,
        ids: NewIds,
    ) -> CommitResult:
        """The whole of commit_advances / complete_events: check everything, then apply. Events
        in ``retry_events`` stay unprocessed (their leases are released)."""
        # ---- check and encode (may raise; nothing changed yet)
        result = CommitResult()
        seqs: dict[int, int] = {}
        prepared: list[Prepared] = []
        for a in advances:
            current = seqs.get(a.run_id)
            if current is None:
                held = self._runs.get(a.run_id)
                current = None if held is None else held.record.seq
            if current != a.seq:
                result.conflicts += 1
                result.conflicted_run_ids.append(a.run_id)
                continue
            seqs[a.run_id] = a.seq + 1
            prepared.append(self._prepare(a))
        for p in prepared:
            for patch in p.advance.contact_patches:
                self._check_patch(patch)
        extra_contexts = [self._check_enrollment(r) for r in enrollments]
        for f in facts:
            if f.status is not None:
                check_message_status(f.status)
        result.applied = len(prepared)

        # ---- apply (cannot fail)
        for p in prepared:
            a = p.advance
            held = self._runs[a.run_id]
            run = held.record
            ended = a.status in ENDED_STATUSES
            run.node = a.node
            run.status = a.status
            if a.version is not None:
                run.version = a.version
            run.wake_at = None if ended else a.wake_at
            run.context = p.context
            run.step_seq = a.step_seq
            run.attempt = a.attempt
            run.waiting_for = a.waiting_for
            run.ended_at = (now if a.ended_at is None else a.ended_at) if ended else a.ended_at
            run.exit_reason = a.exit_reason
            run.error = a.error
            run.updated_at = now
            run.seq += 1
            held.lease_owner = held.lease_until = None
            self._index_run(held)
        for p in prepared:
            for step, stored in zip(p.advance.steps, p.steps, strict=True):
                stored.id = step_id = len(self._steps) + 1
                self._steps.append(stored)
                self._steps_by_run.setdefault(stored.run_id, []).append(step_id)
                ids.pairs.append((step, step_id))
        for p in prepared:
            self._insert_messages(p.advance.messages, p.messages, ids)
        self._patches([x for p in prepared for x in p.advance.contact_patches], now)
        self._insert_runs(
            [*[r for p in prepared for r in p.advance.enrollments], *enrollments],
            [*[c for p in prepared for c in p.enroll_contexts], *extra_contexts],
            now,
        )
        self._insert_events([e for p in prepared for e in p.events], now)
        self._apply_facts(facts)
        for event_id in event_ids:
            held_event = self._events.get(event_id)
            if held_event is None or held_event.record.processed_at is not None:
                continue
            held_event.lease_owner = held_event.lease_until = None
            if event_id not in retry_events:
                self._mark_processed(held_event, now)
        return result

    def release_runs(self, owner: str, run_ids: Sequence[int]) -> None:
        with self._lock:
            for rid in run_ids:
                held = self._runs.get(rid)
                if held is not None and held.lease_owner == owner:
                    held.lease_owner = held.lease_until = None
        if run_ids:
            self._signal_work()

    def get_run(self, run_id: int) -> Run | None:
        with self._lock:
            held = self._runs.get(run_id)
            return None if held is None else copy_run(held.record)

    def get_runs(self, run_ids: Iterable[int]) -> dict[int, Run]:
        with self._lock:
            return copies_of(self._runs, run_ids, lambda held: copy_run(held.record))

    def runs_of_contact(self, contact_id: str, statuses: Iterable[str] | None = None) -> list[Run]:
        wanted = None if statuses is None else frozenset(statuses)
        with self._lock:
            runs = (self._runs[i].record for i in self._runs_by_contact.get(contact_id, ()))
            return [copy_run(r) for r in runs if wanted is None or r.status in wanted]

    def count_runs_since(self, contact_id: str, workflow_key: str, since: float) -> int:
        with self._lock:
            ids = self._runs_by_pair.get((contact_id, workflow_key), ())
            runs = (self._runs[i].record for i in ids)
            return sum(1 for r in runs if r.created_at > since and not _is_branch(r))

    def runs_of_contacts(
        self, contact_ids: Iterable[str], statuses: Iterable[str] | None = None
    ) -> dict[str, list[Run]]:
        wanted = None if statuses is None else frozenset(statuses)
        out: dict[str, list[Run]] = {}
        with self._lock:
            for cid in sorted(set(contact_ids)):
                runs = [
                    copy_run(r)
                    for r in (self._runs[i].record for i in self._runs_by_contact.get(cid, ()))
                    if wanted is None or r.status in wanted
                ]
                if runs:
                    out[cid] = runs
            return out

    def list_runs(self, flt: RunFilter) -> list[Run]:
        with self._lock:
            by = ((flt.contact_id, self._runs_by_contact), (flt.workflow_key, self._runs_by_key))
            ids = ids_to_scan(by, self._runs)  # ids are inserted in order
            runs = [
                r
                for r in (self._runs[i].record for i in ids)
                if (flt.workflow_key is None or r.workflow_key == flt.workflow_key)
                and (flt.status is None or r.status == flt.status)
                and r.id > flt.after_id
                and self._in_scope(r.contact_id, flt.scope)
            ]
            return [copy_run(r) for r in runs[flt.offset : flt.offset + flt.limit]]

    def count_runs(
        self, workflow_key: str | None = None, scope: Scope | None = None
    ) -> dict[str, int]:
        with self._lock:
            out: dict[str, int] = {}
            ids: Iterable[int] = (
                self._runs if workflow_key is None else self._runs_by_key.get(workflow_key, ())
            )
            for r in (self._runs[i].record for i in ids):
                if self._in_scope(r.contact_id, scope) and not _is_branch(r):
                    out[r.status] = out.get(r.status, 0) + 1
            return dict(sorted(out.items()))

    def run_steps(self, run_id: int) -> list[Step]:
        with self._lock:
            return [self._step_out(i) for i in self._steps_by_run.get(run_id, ())]

    def _step_out(self, step_id: int) -> Step:
        step = self._steps[step_id - 1]
        assert step is not None, f"step {step_id} was pruned"
        return copy_step(step)

    def all_steps(self, limit: int | None = None, since_id: int = 0) -> list[Step]:
        with self._lock:
            start = max(since_id, 0)
            end = len(self._steps) if limit is None else start + max(limit, 0)
            out = [copy_step(s) for s in self._steps[start:end] if s is not None]
            while limit is not None and len(out) < limit and end < len(self._steps):
                start, end = end, end + limit - len(out)  # pruned steps left gaps: read on
                out += [copy_step(s) for s in self._steps[start:end] if s is not None]
            return out

    def node_counts(self, workflow_key: str, scope: Scope | None = None) -> list[NodeCount]:
        with self._lock:
            entered: dict[tuple[int, str], set[int]] = {}
            sent: dict[tuple[int, str], set[int]] = {}
            delivered: dict[tuple[int, str], set[int]] = {}
            replied: dict[tuple[int, str], set[int]] = {}
            exited: dict[tuple[int, str], int] = {}
            current: dict[tuple[int, str], int] = {}
            for run in (self._runs[i].record for i in self._runs_by_key.get(workflow_key, ())):
                if not self._in_scope(run.contact_id, scope):
                    continue
                rid, version = run.id, run.version
                for sid in self._steps_by_run.get(rid, ()):
                    step = self._steps[sid - 1]
                    if step is not None:
                        entered.setdefault((version, step.node), set()).add(rid)
                for mid in self._messages_by_run.get(rid, ()):
                    m = self._messages[mid].record
                    if m.node is None:
                        continue
                    k = (version, m.node)
                    if m.status in (MessageStatus.SENT, MessageStatus.DELIVERED):
                        sent.setdefault(k, set()).add(rid)
                    if m.status == MessageStatus.DELIVERED:
                        delivered.setdefault(k, set()).add(rid)
                    if m.replied_at is not None:
                        replied.setdefault(k, set()).add(rid)
                    for d in (sent, delivered, replied):
                        d.setdefault(k, set())
                if run.node is not None:
                    k = (version, run.node)
                    exited[k] = exited.get(k, 0) + (run.status in ENDED_STATUSES)
                    current[k] = current.get(k, 0) + (run.status in OPEN_SET)
            keys = sorted({*entered, *sent, *exited})
            return [
                NodeCount(
                    workflow_key,
                    k[0],
                    k[1],
                    entered=len(entered.get(k, ())),
                    sent=len(sent.get(k, ())),
                    delivered=len(delivered.get(k, ())),
                    replied=len(replied.get(k, ())),
                    exited=exited.get(k, 0),
                    current=current.get(k, 0),
                )
                for k in keys
            ]


def _is_branch(run: Run) -> bool:
    """A ``parallel`` node's branch run: part of its parent's run, not an enrolment of its own."""
    return BRANCH_LINK in run.context


__all__ = ["MemoryRuns"]
