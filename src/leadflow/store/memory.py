"""The in-memory backend: the same contract in plain Python, for tests and simulations.

Rows are kept in the SQLite column layouts with JSON fields as JSON text (see :mod:`.codec`), so
every record handed out is freshly decoded (callers never share state with the store) and values
round-trip exactly as they do through SQLite. One lock makes it thread-safe.

Every writing method first validates and encodes everything it was given (anything that can
raise), then applies the changes, so a method that raises has changed nothing.

Due work is indexed with heaps and lazy deletion: every change to a run's or message's position
bumps its ``hver``; heap entries with an old ``hver`` are dropped when they surface.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.errors import StoreError
from leadflow.store import sqlfiles
from leadflow.store.codec import (
    contact_from_row,
    contact_to_row,
    dumps,
    event_from_row,
    message_from_row,
    run_from_row,
    sandbox_from_row,
    step_from_row,
    workflow_from_row,
)
from leadflow.store.contract import Store, makes_work
from leadflow.store.drafts_memory import MemoryDrafts
from leadflow.store.event_outcomes import MemoryEventOutcomes
from leadflow.store.experiments_memory import MemoryExperiments
from leadflow.store.listing_matches import MemoryListingMatches
from leadflow.store.listings_memory import MemoryListings
from leadflow.store.prune_memory import MemoryPrune
from leadflow.store.records import (
    DEFAULT_TENANT,
    DELIVERED,
    DUE_MESSAGE_STATUSES,
    ENDED_STATUSES,
    LIVE_STATUSES,
    RUN_STATUSES,
    SENDING,
    SENT,
    Advance,
    ClaimedMessage,
    ClaimedRun,
    CommitResult,
    Contact,
    ContactFilter,
    ContactPatch,
    EnrollOutcome,
    EnrollRequest,
    Event,
    HeldLease,
    Message,
    MessageFacts,
    MessageFilter,
    MessageUpdate,
    NewEvent,
    NodeCount,
    Run,
    RunFilter,
    SandboxDelivery,
    Schedule,
    Scope,
    Step,
    WorkflowVersion,
)
from leadflow.store.rules import (
    HOLD_EVENT_TYPES,
    OPEN_STATUSES,
    REPLY_EVENT_TYPES,
    RunStats,
    apply_patch,
    check_message_status,
    check_reentry,
    check_runless,
    events_not_about,
    matches_contact,
    merge_status,
    meta_number,
    plan_enrollments,
    plan_event_advances,
    publishable,
    rate_window_start,
    summarize_leases,
)
from leadflow.store.score_models_memory import MemoryScoreModels
from leadflow.store.senders_memory import MemorySenders
from leadflow.store.tenancy_memory import MemoryTenancy
from leadflow.store.webhooks_memory import MemoryWebhooks

# run row: RUN_COLS order, then lease and heap version
R_ID, R_KEY, R_VERSION, R_CONTACT, R_NODE, R_STATUS, R_WAKE, R_CTX = range(8)
R_STEP_SEQ, R_ATTEMPT, R_WAITING, R_SEQ, R_CREATED, R_UPDATED, R_ENDED, R_EXIT = range(8, 16)
R_ERROR, R_LOWNER, R_LUNTIL, R_HVER = range(16, 20)
# message row: id, MESSAGE_INSERT_COLS order, then lease and heap version
M_ID, M_RUN, M_CONTACT, M_KEY, M_NODE, M_CHANNEL, M_TO, M_IDEM, M_DUE, M_CREATED = range(10)
M_SUBJECT, M_BODY, M_PAYLOAD, M_STATUS, M_ATTEMPTS, M_SENT, M_DELIVERED = range(10, 17)
M_OPENED, M_CLICKED, M_REPLIED, M_PROVIDER, M_SUPPRESSED, M_ERROR = range(17, 23)
M_LOWNER, M_LUNTIL, M_HVER = range(23, 26)
# event row: EVENT_COLS order, then lease
E_ID, E_TYPE, E_CONTACT, E_DATA, E_KEY, E_OCCURRED, E_CREATED, E_PROCESSED = range(8)
E_ERROR, E_IGNORED = 8, 9
E_LOWNER, E_LUNTIL = 10, 11

_REPLIES = frozenset(REPLY_EVENT_TYPES)
_HOLDS = frozenset(HOLD_EVENT_TYPES)
_SENT = frozenset({SENT, DELIVERED})
_OPEN = frozenset(OPEN_STATUSES)


def _require(value: Any, what: str) -> None:
    """Mirror of the SQL NOT NULL constraints."""
    if value is None:
        raise StoreError(f"NOT NULL constraint failed: {what}")


def _event_status(row: list[Any]) -> str:
    if row[E_ERROR] is not None:
        return "failed"
    return "pending" if row[E_PROCESSED] is None else "processed"


@dataclass(slots=True)
class _Prepared:
    """An advance checked and encoded, ready to be applied."""

    advance: Advance
    context: str
    steps: list[tuple[Any, ...]]
    messages: list[list[Any]]
    enroll_contexts: list[str]
    events: list[tuple[Any, ...]]


@dataclass(slots=True)
class _Id:
    """Objects handed in that get their new ids after the change is applied."""

    pairs: list[tuple[Step | Message, int]] = field(default_factory=list)

    def assign(self) -> None:
        for obj, new_id in self.pairs:
            obj.id = new_id


class MemoryStore(
    MemoryPrune,
    MemoryEventOutcomes,
    MemoryTenancy,
    MemorySenders,
    MemoryDrafts,
    MemoryWebhooks,
    MemoryListings,
    MemoryListingMatches,
    MemoryScoreModels,
    MemoryExperiments,
    Store,
):
    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._lock = threading.Lock()
        self._schema = 0
        self._meta: dict[str, str] = {}
        self._contacts: dict[str, tuple[Any, ...]] = {}
        # (tenant, key) -> versions; (tenant, key, trigger index) -> schedule row
        self._workflows: dict[tuple[str, str], list[tuple[str, int, str, str, float, str]]] = {}
        self._schedules: dict[tuple[str, str, int], tuple[str, int, int, str, str, float, str]] = {}
        self._runs: dict[int, list[Any]] = {}
        self._last_run_id = 0
        self._runs_by_contact: dict[str, list[int]] = {}
        self._runs_by_pair: dict[tuple[str, str], list[int]] = {}
        self._runs_by_key: dict[str, list[int]] = {}  # workflow key -> run ids, in id order
        # (contact, workflow key) -> (pruned runs, latest created_at among them): re-entry
        # counts them as runs that exist (see MemoryPrune.delete_runs_history)
        self._marks: dict[tuple[str, str], tuple[int, float]] = {}
        self._run_heap: list[tuple[float, int, int]] = []
        self._steps: list[tuple[Any, ...]] = []  # step id = index + 1
        self._steps_by_run: dict[int, list[int]] = {}
        self._messages: dict[int, list[Any]] = {}
        self._last_message_id = 0
        self._message_by_key: dict[str, int] = {}
        self._messages_by_run: dict[int, list[int]] = {}
        self._messages_by_contact: dict[str, list[int]] = {}
        self._message_heap: list[tuple[float, int, int]] = []
        self._sending: dict[int, None] = {}
        self._events: dict[int, list[Any]] = {}
        self._last_event_id = 0
        self._event_by_key: dict[str, int] = {}
        self._unprocessed: dict[int, None] = {}  # insertion order is id order
        self._replies_waiting: dict[str, int] = {}  # contact -> unprocessed hold-back events
        self._last_reply: dict[str, float] = {}  # contact -> latest reply's occurred_at
        self._sandbox: dict[str, list[Any]] = {}

    # ------------------------------------------------------------------ lifecycle / schema
    def schema_version(self) -> int:
        return self._schema

    def latest_schema_version(self) -> int:
        return sqlfiles.latest_version("sqlite")

    def upgrade(self) -> list[int]:
        with self._lock:
            latest = self.latest_schema_version()
            known = [m.version for m in sqlfiles.migrations("sqlite")]
            applied = [v for v in known if v > self._schema]
            self._schema = max(self._schema, latest)
            return applied

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        _require(value, "meta.value")
        with self._lock:
            self._meta[key] = value

    def raise_meta(self, key: str, value: float) -> float:
        with self._lock:
            current = meta_number(self._meta.get(key))
            if current is None or current < value:
                self._meta[key] = repr(float(value))
                return float(value)
            return current

    # ------------------------------------------------------------------ contacts
    def save_contacts(
        self, contacts: Sequence[Contact], events: Sequence[NewEvent], now: float
    ) -> tuple[int, int, list[int | None]]:
        for c in contacts:
            _require(c.id, "contacts.id")
        rows = [contact_to_row(c, c.created_at or now, now) for c in contacts]
        encoded = [self._encode_event(e) for e in events]
        with self._lock:
            inserted = updated = 0
            for row in rows:
                old = self._contacts.get(row[0])
                if old is None:
                    inserted += 1
                else:
                    updated += 1
                    row = (*row[:12], old[12], row[13], old[14])  # tenant never moves
                self._contacts[row[0]] = row
            ids = self._insert_events(encoded, now)
        if any(i is not None for i in ids):
            self._signal_work()
        return inserted, updated, ids

    def get_contact(self, contact_id: str) -> Contact | None:
        with self._lock:
            row = self._contacts.get(contact_id)
            return None if row is None else contact_from_row(row)

    def get_contacts(self, contact_ids: Iterable[str]) -> dict[str, Contact]:
        with self._lock:
            out: dict[str, Contact] = {}
            for cid in contact_ids:
                row = self._contacts.get(cid)
                if row is not None:
                    out[cid] = contact_from_row(row)
            return out

    def list_contacts(self, limit: int = 1000, offset: int = 0) -> list[Contact]:
        with self._lock:
            ids = sorted(self._contacts)[offset : offset + limit]
            return [contact_from_row(self._contacts[i]) for i in ids]

    def _in_scope(self, contact_id: str | None, scope: Scope | None) -> bool:
        """Whether the contact (a row id) is in ``scope`` (everything is when scope is None)."""
        if scope is None:
            return True
        row = None if contact_id is None else self._contacts.get(contact_id)
        return row is not None and scope.allows(contact_from_row(row))

    def find_contacts(self, flt: ContactFilter) -> list[Contact]:
        with self._lock:
            out: list[Contact] = []
            for cid in sorted(self._contacts):
                if flt.after_id is not None and cid <= flt.after_id:
                    continue
                c = contact_from_row(self._contacts[cid])
                if matches_contact(c, flt):
                    out.append(c)
                    if len(out) >= flt.limit:
                        break
            return out

    def contacts_in_scope(self, scope: Scope, contact_ids: Iterable[str]) -> set[str]:
        with self._lock:
            return {cid for cid in set(contact_ids) if self._in_scope(cid, scope)}

    def count_contacts(self) -> int:
        with self._lock:
            return len(self._contacts)

    def apply_contact_patches(self, patches: Sequence[ContactPatch], now: float) -> None:
        with self._lock:
            self._patches(patches, now)

    @staticmethod
    def _check_patch(patch: ContactPatch) -> None:
        dumps(patch.set)
        dumps(list(patch.add_tags))
        dumps(patch.consent)

    def _patches(self, patches: Sequence[ContactPatch], now: float) -> None:
        """Check, then apply (the encode of the result cannot fail once the parts encode)."""
        for patch in patches:
            self._check_patch(patch)
        work: dict[str, Contact] = {}
        for patch in patches:
            contact = work.get(patch.contact_id)
            if contact is None:
                row = self._contacts.get(patch.contact_id)
                if row is None:
                    continue
                contact = work[patch.contact_id] = contact_from_row(row)
            apply_patch(contact, patch, now)
        encoded = [contact_to_row(c, c.created_at, now) for c in work.values()]
        for row in encoded:
            self._contacts[row[0]] = row

    # ------------------------------------------------------------------ workflows
    def publish_workflow(
        self,
        key: str,
        name: str,
        definition: dict[str, Any],
        now: float,
        tenant_id: str = DEFAULT_TENANT,
    ) -> WorkflowVersion:
        text = dumps(definition)
        with self._lock:
            versions = self._workflows.get((tenant_id, key), [])
            found = workflow_from_row(versions[-1]) if versions else None
            latest = publishable(found, definition)
            if latest is not None:
                return latest
            row = (key, len(versions) + 1, name, text, now, tenant_id)
            self._workflows.setdefault((tenant_id, key), []).append(row)
            return workflow_from_row(row)

    def get_workflow(
        self, tenant_id: str, key: str, version: int | None = None
    ) -> WorkflowVersion | None:
        with self._lock:
            versions = self._workflows.get((tenant_id, key))
            if not versions:
                return None
            if version is None:
                row = versions[-1]
            elif 1 <= version <= len(versions):
                row = versions[version - 1]
            else:
                return None
            return workflow_from_row(row)

    def list_workflows(self, tenant_id: str | None = None) -> list[WorkflowVersion]:
        with self._lock:
            rows = [self._workflows[k][-1] for k in sorted(self._workflows, key=lambda k: k[::-1])]
            if tenant_id is not None:
                rows = [r for r in rows if r[5] == tenant_id]
            return [workflow_from_row(r) for r in rows]

    # ------------------------------------------------------------------ schedules
    def set_schedules(self, tenant_id: str, key: str, schedules: Sequence[Schedule]) -> None:
        rows = []
        for s in schedules:
            for value, what in (
                (s.version, "version"),
                (s.trigger_index, "trigger_index"),
                (s.cron, "cron"),
                (s.timezone, "timezone"),
                (s.next_fire_at, "next_fire_at"),
            ):
                _require(value, f"schedules.{what}")
            row = (key, s.version, s.trigger_index, s.cron, s.timezone, s.next_fire_at, tenant_id)
            rows.append(row)
        with self._lock:
            for k in [k for k in self._schedules if k[:2] == (tenant_id, key)]:
                del self._schedules[k]
            for row in rows:
                self._schedules[(tenant_id, key, row[2])] = row
        if rows:
            self._signal_work()

    def due_schedules(self, now: float) -> list[Schedule]:
        with self._lock:
            rows = sorted(
                (r for r in self._schedules.values() if r[5] <= now),
                key=lambda r: (r[5], r[0], r[6], r[2]),
            )
            return [Schedule(*r) for r in rows]

    def advance_schedule(self, schedule: Schedule, next_fire_at: float) -> bool:
        with self._lock:
            k = (schedule.tenant_id, schedule.workflow_key, schedule.trigger_index)
            row = self._schedules.get(k)
            if row is None or row[1] != schedule.version or row[5] != schedule.next_fire_at:
                return False
            self._schedules[k] = (*row[:5], next_fire_at, row[6])
            return True

    # ------------------------------------------------------------------ runs: indexes
    def _index_run(self, row: list[Any]) -> None:
        """Call after a change of status/wake_at: invalidate old heap entries, add the new."""
        row[R_HVER] += 1
        if row[R_STATUS] in LIVE_STATUSES and row[R_WAKE] is not None:
            heapq.heappush(self._run_heap, (row[R_WAKE], row[R_ID], row[R_HVER]))

    def _stats(self, contact_id: str, key: str, since: float) -> RunStats | None:
        ids = self._runs_by_pair.get((contact_id, key))
        mark = self._marks.get((contact_id, key))
        if not ids and mark is None:
            return None
        rows = [self._runs[i] for i in ids or ()]
        stats = RunStats(
            len(rows),
            sum(1 for r in rows if r[R_STATUS] in _OPEN),
            max((r[R_CREATED] for r in rows), default=None),
            sum(1 for r in rows if r[R_CREATED] > since),
        )
        if mark is not None:
            stats.add_pruned(*mark)
        return stats

    def _insert_runs(
        self, requests: Sequence[EnrollRequest], contexts: Sequence[str], now: float
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
            row: list[Any] = [
                rid,
                req.workflow_key,
                req.version,
                req.contact_id,
                req.start_node,
                "active",
                now,
                by_request[id(req)],
                0,
                0,
                None,
                0,
                now,
                now,
                None,
                None,
                None,
                None,
                None,
                0,
            ]
            self._runs[rid] = row
            self._runs_by_contact.setdefault(req.contact_id, []).append(rid)
            self._runs_by_pair.setdefault((req.contact_id, req.workflow_key), []).append(rid)
            self._runs_by_key.setdefault(req.workflow_key, []).append(rid)
            self._index_run(row)
            out.run_ids.append(rid)
        return out

    @staticmethod
    def _check_enrollment(req: EnrollRequest) -> str:
        check_reentry(req.reentry, req.reentry_days)
        _require(req.workflow_key, "runs.workflow_key")
        _require(req.version, "runs.version")
        return dumps(req.context)

    # ------------------------------------------------------------------ runs
    def enroll(self, requests: Sequence[EnrollRequest], now: float) -> EnrollOutcome:
        contexts = [self._check_enrollment(r) for r in requests]
        with self._lock:
            out = self._insert_runs(requests, contexts, now)
        if out.created:
            self._signal_work()
        return out

    def enroll_all(
        self,
        workflow_key: str,
        version: int,
        start_node: str,
        now: float,
        reentry: str = "never",
        reentry_days: int | None = None,
        tenant_id: str | None = None,
    ) -> EnrollOutcome:
        check_reentry(reentry, reentry_days)
        with self._lock:
            requests = [
                EnrollRequest(workflow_key, version, cid, start_node, {}, reentry, reentry_days)
                for cid in sorted(self._contacts)
                if tenant_id is None or self._contacts[cid][14] == tenant_id
            ]
            out = self._insert_runs(requests, ["{}"] * len(requests), now)
            out.run_ids = []
        if out.created:
            self._signal_work()
        return out

    def claim_runs(self, owner: str, now: float, limit: int, lease_s: float) -> list[ClaimedRun]:
        with self._lock:
            heap = self._run_heap
            runs = self._runs
            claimed: list[list[Any]] = []
            keep: list[tuple[float, int, int]] = []
            while heap and len(claimed) < limit and heap[0][0] <= now:
                entry = heapq.heappop(heap)
                row = runs.get(entry[1])
                if row is None or row[R_HVER] != entry[2]:
                    continue  # stale
                keep.append(entry)
                until = row[R_LUNTIL]
                if until is not None and until >= now:
                    continue  # leased to someone
                row[R_LOWNER] = owner
                row[R_LUNTIL] = now + lease_s
                claimed.append(row)
            for entry in keep:
                heapq.heappush(heap, entry)
            out = []
            for row in claimed:
                contact = self._contacts.get(row[R_CONTACT])
                out.append(
                    ClaimedRun(
                        run_from_row(row), None if contact is None else contact_from_row(contact)
                    )
                )
            return out

    def commit_advances(self, owner: str, advances: Sequence[Advance], now: float) -> CommitResult:
        ids = _Id()
        with self._lock:
            result = self._commit(advances, [], [], [], set(), now, ids)
        ids.assign()
        if result.applied and makes_work(advances):
            self._signal_work()
        return result

    def _prepare(self, a: Advance) -> _Prepared:
        if a.status not in RUN_STATUSES:
            raise StoreError(f"run {a.run_id}: unknown status {a.status!r}")
        _require(a.step_seq, "runs.step_seq")
        _require(a.attempt, "runs.attempt")
        steps = []
        for s in a.steps:
            for value, what in (
                (s.node, "node"),
                (s.kind, "kind"),
                (s.step_seq, "step_seq"),
                (s.attempt, "attempt"),
                (s.outcome, "outcome"),
                (s.started_at, "started_at"),
            ):
                _require(value, f"steps.{what}")
            steps.append(
                (
                    a.run_id,
                    s.node,
                    s.kind,
                    s.step_seq,
                    s.attempt,
                    s.outcome,
                    s.started_at,
                    s.due_at,
                    s.error,
                    None if s.data is None else dumps(s.data),
                )
            )
        return _Prepared(
            a,
            dumps(a.context),
            steps,
            [self._encode_message(m) for m in a.messages],
            [self._check_enrollment(r) for r in a.enrollments],
            [self._encode_event(e) for e in a.events],
        )

    def _seq_of(self, run_id: int) -> int | None:
        row = self._runs.get(run_id)
        return None if row is None else int(row[R_SEQ])

    def _commit(
        self,
        advances: Sequence[Advance],
        enrollments: Sequence[EnrollRequest],
        facts: Sequence[MessageFacts],
        event_ids: Sequence[int],
        retry_events: set[int],
        now: float,
        ids: _Id,
    ) -> CommitResult:
        """The whole of commit_advances / complete_events: check everything, then apply. Events
        in ``retry_events`` stay unprocessed (their leases are released)."""
        # ---- check and encode (may raise; nothing changed yet)
        result = CommitResult()
        seqs: dict[int, int] = {}
        prepared: list[_Prepared] = []
        for a in advances:
            current = seqs.get(a.run_id)
            if current is None:
                row = self._runs.get(a.run_id)
                current = None if row is None else row[R_SEQ]
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
            row = self._runs[a.run_id]
            ended = a.status in ENDED_STATUSES
            row[R_NODE] = a.node
            row[R_STATUS] = a.status
            if a.version is not None:
                row[R_VERSION] = a.version
            row[R_WAKE] = None if ended else a.wake_at
            row[R_CTX] = p.context
            row[R_STEP_SEQ] = a.step_seq
            row[R_ATTEMPT] = a.attempt
            row[R_WAITING] = a.waiting_for
            row[R_ENDED] = (now if a.ended_at is None else a.ended_at) if ended else a.ended_at
            row[R_EXIT] = a.exit_reason
            row[R_ERROR] = a.error
            row[R_UPDATED] = now
            row[R_SEQ] += 1
            row[R_LOWNER] = row[R_LUNTIL] = None
            self._index_run(row)
        for p in prepared:
            for step, encoded in zip(p.advance.steps, p.steps, strict=True):
                step_id = len(self._steps) + 1
                self._steps.append((*encoded, step_id))
                self._steps_by_run.setdefault(encoded[0], []).append(step_id)
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
            erow = self._events.get(event_id)
            if erow is None or erow[E_PROCESSED] is not None:
                continue
            erow[E_LOWNER] = erow[E_LUNTIL] = None
            if event_id not in retry_events:
                self._mark_processed(erow, now)
        return result

    def release_runs(self, owner: str, run_ids: Sequence[int]) -> None:
        with self._lock:
            for rid in run_ids:
                row = self._runs.get(rid)
                if row is not None and row[R_LOWNER] == owner:
                    row[R_LOWNER] = row[R_LUNTIL] = None
        if run_ids:
            self._signal_work()

    def get_run(self, run_id: int) -> Run | None:
        with self._lock:
            row = self._runs.get(run_id)
            return None if row is None else run_from_row(row)

    def get_runs(self, run_ids: Iterable[int]) -> dict[int, Run]:
        with self._lock:
            out: dict[int, Run] = {}
            for rid in run_ids:
                row = self._runs.get(rid)
                if row is not None:
                    out[rid] = run_from_row(row)
            return out

    def runs_of_contact(self, contact_id: str, statuses: Iterable[str] | None = None) -> list[Run]:
        wanted = None if statuses is None else frozenset(statuses)
        with self._lock:
            rows = (self._runs[i] for i in self._runs_by_contact.get(contact_id, ()))
            return [run_from_row(r) for r in rows if wanted is None or r[R_STATUS] in wanted]

    def count_runs_since(self, contact_id: str, workflow_key: str, since: float) -> int:
        with self._lock:
            ids = self._runs_by_pair.get((contact_id, workflow_key), ())
            return sum(1 for i in ids if self._runs[i][R_CREATED] > since)

    def runs_of_contacts(
        self, contact_ids: Iterable[str], statuses: Iterable[str] | None = None
    ) -> dict[str, list[Run]]:
        wanted = None if statuses is None else frozenset(statuses)
        out: dict[str, list[Run]] = {}
        with self._lock:
            for cid in sorted(set(contact_ids)):
                runs = [
                    run_from_row(r)
                    for r in (self._runs[i] for i in self._runs_by_contact.get(cid, ()))
                    if wanted is None or r[R_STATUS] in wanted
                ]
                if runs:
                    out[cid] = runs
            return out

    def list_runs(self, flt: RunFilter) -> list[Run]:
        with self._lock:
            if flt.contact_id is not None:
                source: Iterable[list[Any]] = (
                    self._runs[i] for i in self._runs_by_contact.get(flt.contact_id, ())
                )
            elif flt.workflow_key is not None:
                source = (self._runs[i] for i in self._runs_by_key.get(flt.workflow_key, ()))
            else:
                source = self._runs.values()  # ids are inserted in order
            rows = [
                r
                for r in source
                if (flt.workflow_key is None or r[R_KEY] == flt.workflow_key)
                and (flt.status is None or r[R_STATUS] == flt.status)
                and r[R_ID] > flt.after_id
                and self._in_scope(r[R_CONTACT], flt.scope)
            ]
            return [run_from_row(r) for r in rows[flt.offset : flt.offset + flt.limit]]

    def count_runs(
        self, workflow_key: str | None = None, scope: Scope | None = None
    ) -> dict[str, int]:
        with self._lock:
            out: dict[str, int] = {}
            if workflow_key is None:
                rows: Iterable[list[Any]] = self._runs.values()
            else:
                rows = (self._runs[i] for i in self._runs_by_key.get(workflow_key, ()))
            for r in rows:
                if not self._in_scope(r[R_CONTACT], scope):
                    continue
                out[r[R_STATUS]] = out.get(r[R_STATUS], 0) + 1
            return dict(sorted(out.items()))

    def run_steps(self, run_id: int) -> list[Step]:
        with self._lock:
            return [step_from_row(self._steps[i - 1]) for i in self._steps_by_run.get(run_id, ())]

    def all_steps(self, limit: int | None = None, since_id: int = 0) -> list[Step]:
        with self._lock:
            start = max(since_id, 0)
            end = len(self._steps) if limit is None else start + max(limit, 0)
            out = [step_from_row(r) for r in self._steps[start:end] if r]
            while limit is not None and len(out) < limit and end < len(self._steps):
                start, end = end, end + limit - len(out)  # pruned steps left gaps: read on
                out += [step_from_row(r) for r in self._steps[start:end] if r]
            return out

    def node_counts(self, workflow_key: str, scope: Scope | None = None) -> list[NodeCount]:
        with self._lock:
            entered: dict[tuple[int, str], set[int]] = {}
            sent: dict[tuple[int, str], set[int]] = {}
            delivered: dict[tuple[int, str], set[int]] = {}
            replied: dict[tuple[int, str], set[int]] = {}
            exited: dict[tuple[int, str], int] = {}
            current: dict[tuple[int, str], int] = {}
            for run in (self._runs[i] for i in self._runs_by_key.get(workflow_key, ())):
                if not self._in_scope(run[R_CONTACT], scope):
                    continue
                rid, version = run[R_ID], run[R_VERSION]
                for sid in self._steps_by_run.get(rid, ()):
                    entered.setdefault((version, self._steps[sid - 1][1]), set()).add(rid)
                for mid in self._messages_by_run.get(rid, ()):
                    m = self._messages[mid]
                    if m[M_NODE] is None:
                        continue
                    k = (version, m[M_NODE])
                    if m[M_STATUS] in (SENT, DELIVERED):
                        sent.setdefault(k, set()).add(rid)
                    if m[M_STATUS] == DELIVERED:
                        delivered.setdefault(k, set()).add(rid)
                    if m[M_REPLIED] is not None:
                        replied.setdefault(k, set()).add(rid)
                    for d in (sent, delivered, replied):
                        d.setdefault(k, set())
                if run[R_NODE] is not None:
                    k = (version, run[R_NODE])
                    exited[k] = exited.get(k, 0) + (run[R_STATUS] in ENDED_STATUSES)
                    current[k] = current.get(k, 0) + (run[R_STATUS] in _OPEN)
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

    # ------------------------------------------------------------------ events
    @staticmethod
    def _encode_event(e: NewEvent) -> tuple[Any, ...]:
        _require(e.type, "events.type")
        _require(e.dedupe_key, "events.dedupe_key")
        _require(e.occurred_at, "events.occurred_at")
        return (e.type, e.contact_id, dumps(e.data), e.dedupe_key, e.occurred_at, e.processed)

    def _insert_events(self, encoded: Sequence[tuple[Any, ...]], now: float) -> list[int | None]:
        out: list[int | None] = []
        for etype, contact_id, data, key, occurred, processed in encoded:
            if key in self._event_by_key:
                out.append(None)
                continue
            self._last_event_id += 1
            eid = self._last_event_id
            done = now if processed else None
            self._events[eid] = [eid, etype, contact_id, data, key, occurred, now, done]
            self._events[eid] += [None, None, None, None]  # error, ignored, lease
            self._event_by_key[key] = eid
            if etype in _REPLIES and contact_id is not None:
                self._last_reply[contact_id] = max(
                    occurred, self._last_reply.get(contact_id, occurred)
                )
            if processed:
                out.append(eid)
                continue
            self._unprocessed[eid] = None
            if etype in _HOLDS and contact_id is not None:
                self._replies_waiting[contact_id] = self._replies_waiting.get(contact_id, 0) + 1
            out.append(eid)
        return out

    def _mark_processed(self, row: list[Any], now: float) -> None:
        row[E_PROCESSED] = now
        self._unprocessed.pop(row[E_ID], None)
        contact_id = row[E_CONTACT]
        if row[E_TYPE] in _HOLDS and contact_id is not None:
            left = self._replies_waiting.get(contact_id, 0) - 1
            if left > 0:
                self._replies_waiting[contact_id] = left
            else:
                self._replies_waiting.pop(contact_id, None)

    def append_events(self, events: Sequence[NewEvent], now: float) -> list[int | None]:
        encoded = [self._encode_event(e) for e in events]
        with self._lock:
            out = self._insert_events(encoded, now)
        if any(i is not None for i in out):
            self._signal_work()
        return out

    def claim_events(self, owner: str, now: float, limit: int, lease_s: float) -> list[Event]:
        with self._lock:
            out: list[Event] = []
            if limit <= 0:
                return out
            for eid in self._unprocessed:
                row = self._events[eid]
                if row[E_OCCURRED] > now:
                    continue
                until = row[E_LUNTIL]
                if until is not None and until >= now:
                    continue
                row[E_LOWNER] = owner
                row[E_LUNTIL] = now + lease_s
                out.append(event_from_row(row))
                if len(out) >= limit:
                    break
            return out

    def complete_events(
        self,
        owner: str,
        event_ids: Sequence[int],
        advances: Sequence[Advance],
        enrollments: Sequence[EnrollRequest],
        facts: Sequence[MessageFacts],
        now: float,
    ) -> CommitResult:
        for req in enrollments:
            check_reentry(req.reentry, req.reentry_days)
        ids = _Id()
        with self._lock:
            plan = plan_event_advances(advances, self._seq_of)
            retry = plan.retry_events
            kept = [r for r in enrollments if r.event_id is None or r.event_id not in retry]
            self._commit(plan.accepted, kept, facts, event_ids, retry, now, ids)
        ids.assign()
        if retry or kept or makes_work(plan.accepted):
            self._signal_work()
        return CommitResult(
            len(plan.accepted), len(plan.rejected), [a.run_id for a in plan.rejected]
        )

    def list_events(
        self,
        contact_id: str | None = None,
        limit: int = 1000,
        offset: int = 0,
        *,
        scope: Scope | None = None,
        after_id: int = 0,
        type: str | None = None,
        status: str | None = None,
    ) -> list[Event]:
        with self._lock:
            rows = [
                r
                for r in self._events.values()
                if (contact_id is None or r[E_CONTACT] == contact_id)
                and (type is None or r[E_TYPE] == type)
                and (status is None or _event_status(r) == status)
                and r[E_ID] > after_id
                and self._in_scope(r[E_CONTACT], scope)
            ]
            return [event_from_row(r) for r in rows[offset : offset + limit]]

    def pending_events_count(self) -> int:
        with self._lock:
            return len(self._unprocessed)

    # ------------------------------------------------------------------ outbox
    @staticmethod
    def _encode_message(m: Message) -> list[Any]:
        for value, what in (
            (m.channel, "channel"),
            (m.idempotency_key, "idempotency_key"),
            (m.due_at, "due_at"),
            (m.created_at, "created_at"),
            (m.status, "status"),
            (m.attempts, "attempts"),
        ):
            _require(value, f"messages.{what}")
        check_message_status(m.status)
        return [
            0,
            m.run_id,
            m.contact_id,
            m.workflow_key,
            m.node,
            m.channel,
            m.to,
            m.idempotency_key,
            m.due_at,
            m.created_at,
            m.subject,
            m.body,
            dumps(m.payload),
            m.status,
            m.attempts,
            m.sent_at,
            m.delivered_at,
            m.opened_at,
            m.clicked_at,
            m.replied_at,
            m.provider_id,
            m.suppressed_reason,
            m.error,
            None,
            None,
            0,
        ]

    def _insert_messages(
        self, messages: Sequence[Message], encoded: Sequence[list[Any]], ids: _Id
    ) -> None:
        for msg, row in zip(messages, encoded, strict=True):
            found = self._message_by_key.get(row[M_IDEM])
            if found is not None:
                ids.pairs.append((msg, found))
                continue
            self._last_message_id += 1
            mid = self._last_message_id
            row = list(row)
            row[M_ID] = mid
            self._messages[mid] = row
            self._message_by_key[row[M_IDEM]] = mid
            if row[M_RUN] is not None:
                self._messages_by_run.setdefault(row[M_RUN], []).append(mid)
            if row[M_CONTACT] is not None:
                self._messages_by_contact.setdefault(row[M_CONTACT], []).append(mid)
            self._index_message(row)
            ids.pairs.append((msg, mid))

    def queue_messages(self, messages: Sequence[Message], now: float) -> list[int | None]:
        check_runless(messages)
        encoded = [self._encode_message(m) for m in messages]
        ids = _Id()
        out: list[int | None] = []
        with self._lock:
            for msg, row in zip(messages, encoded, strict=True):
                if row[M_IDEM] in self._message_by_key:
                    out.append(None)
                    continue
                self._insert_messages([msg], [row], ids)
                out.append(ids.pairs[-1][1])
        ids.assign()
        if ids.pairs:
            self._signal_work()
        return out

    def _index_message(self, row: list[Any]) -> None:
        """Call after a change of status/due_at."""
        row[M_HVER] += 1
        mid = row[M_ID]
        status = row[M_STATUS]
        if status in DUE_MESSAGE_STATUSES:
            heapq.heappush(self._message_heap, (row[M_DUE], mid, row[M_HVER]))
        if status == SENDING:
            self._sending[mid] = None
        else:
            self._sending.pop(mid, None)

    def _message_out(self, row: list[Any]) -> Message:
        dup = self._sandbox.get(row[M_IDEM])
        return message_from_row((*row[1:23], 0 if dup is None else dup[6], row[0]))

    def claim_messages(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[ClaimedMessage]:
        with self._lock:
            if limit <= 0:
                return []
            # contacts with a reply or consent change waiting, or with a message another owner
            # is sending now
            blocked: set[str] = set(self._replies_waiting)
            for mid in self._sending:
                row = self._messages[mid]
                until = row[M_LUNTIL]
                busy = row[M_LOWNER] != owner and until is not None and until >= now
                if busy and row[M_CONTACT] is not None:
                    blocked.add(row[M_CONTACT])
            heap = self._message_heap
            candidates: list[tuple[float, int]] = []
            keep: list[tuple[float, int, int]] = []
            while heap and len(candidates) < limit and heap[0][0] <= now:
                entry = heapq.heappop(heap)
                row = self._messages[entry[1]]
                if row[M_HVER] != entry[2]:
                    continue  # stale
                keep.append(entry)
                if row[M_CONTACT] is not None and row[M_CONTACT] in blocked:
                    continue
                candidates.append((entry[0], entry[1]))
            in_doubt: set[int] = set()
            for mid in self._sending:
                row = self._messages[mid]
                until = row[M_LUNTIL]
                if (
                    row[M_DUE] <= now
                    and (until is None or until < now)
                    and not (row[M_CONTACT] is not None and row[M_CONTACT] in blocked)
                ):
                    candidates.append((row[M_DUE], mid))
                    in_doubt.add(mid)
            candidates.sort()
            chosen = {mid for _, mid in candidates[:limit]}
            for entry in keep:
                if entry[1] not in chosen:
                    heapq.heappush(heap, entry)
            out: list[ClaimedMessage] = []
            for _, mid in candidates[:limit]:
                row = self._messages[mid]
                row[M_STATUS] = SENDING
                row[M_LOWNER] = owner
                row[M_LUNTIL] = now + lease_s
                self._index_message(row)
                run = None if row[M_RUN] is None else self._runs.get(row[M_RUN])
                contact = None if row[M_CONTACT] is None else self._contacts.get(row[M_CONTACT])
                out.append(
                    ClaimedMessage(
                        self._message_out(row),
                        None if contact is None else contact_from_row(contact),
                        None if run is None else run[R_STATUS],
                        None if run is None else run[R_VERSION],
                        mid in in_doubt,
                    )
                )
            return out

    def update_messages(
        self, owner: str, updates: Sequence[MessageUpdate], events: Sequence[NewEvent], now: float
    ) -> list[int]:
        for u in updates:
            check_message_status(u.status)
        with self._lock:
            refused = [
                u.message_id
                for u in updates
                if (row := self._messages.get(u.message_id)) is None
                or row[M_STATUS] != SENDING
                or row[M_LOWNER] != owner
            ]
            events = events_not_about(events, refused)
            encoded = [self._encode_event(e) for e in events]
            out = set(refused)
            for u in updates:
                row = self._messages.get(u.message_id)
                if row is None or u.message_id in out:
                    continue
                row[M_STATUS] = u.status
                if u.status in _SENT:
                    row[M_SUPPRESSED] = None  # sent after all: not suppressed (deferral over)
                for index, value in (
                    (M_DUE, u.due_at),
                    (M_ATTEMPTS, u.attempts),
                    (M_SENT, u.sent_at),
                    (M_DELIVERED, u.delivered_at),
                    (M_PROVIDER, u.provider_id),
                    (M_SUPPRESSED, None if u.status in _SENT else u.suppressed_reason),
                    (M_ERROR, u.error),
                ):
                    if value is not None:
                        row[index] = value
                row[M_LOWNER] = row[M_LUNTIL] = None
                self._index_message(row)
            self._insert_events(encoded, now)
        if events or any(u.status in DUE_MESSAGE_STATUSES for u in updates):
            self._signal_work()
        return refused

    def renew_messages(
        self, owner: str, message_ids: Sequence[int], now: float, lease_s: float
    ) -> set[int]:
        with self._lock:
            out: set[int] = set()
            for mid in message_ids:
                row = self._messages.get(mid)
                if row is None or row[M_STATUS] != SENDING or row[M_LOWNER] != owner:
                    continue
                if row[M_CONTACT] is not None and row[M_CONTACT] in self._replies_waiting:
                    continue
                row[M_LUNTIL] = now + lease_s
                out.add(mid)
            return out

    # ------------------------------------------------------------------ leases
    def held_leases(self) -> list[HeldLease]:
        with self._lock:
            found: list[tuple[str, str, float]] = []
            for eid in self._unprocessed:
                row = self._events[eid]
                if row[E_LOWNER] is not None:
                    found.append((row[E_LOWNER], "events", row[E_LUNTIL]))
            for mid in self._sending:
                row = self._messages[mid]
                if row[M_LOWNER] is not None:
                    found.append((row[M_LOWNER], "messages", row[M_LUNTIL]))
            for row in self._leased_runs():
                found.append((row[R_LOWNER], "runs", row[R_LUNTIL]))
        return summarize_leases(found)

    def _leased_runs(self) -> list[list[Any]]:
        """Live runs under a lease (claims need a wake_at, so they are all in the heap)."""
        seen: set[int] = set()
        out: list[list[Any]] = []
        for _, rid, version in self._run_heap:
            row = self._runs.get(rid)
            if row is None or row[R_HVER] != version or rid in seen:
                continue
            seen.add(rid)
            if row[R_LOWNER] is not None and row[R_STATUS] in ("active", "waiting"):
                out.append(row)
        return out

    def release_leases(self, owners: Sequence[str]) -> int:
        gone = set(owners)
        released = 0
        with self._lock:
            for eid in self._unprocessed:
                row = self._events[eid]
                if row[E_LOWNER] in gone:
                    row[E_LOWNER] = row[E_LUNTIL] = None
                    released += 1
            for mid in self._sending:
                row = self._messages[mid]
                if row[M_LOWNER] in gone:
                    row[M_LOWNER] = row[M_LUNTIL] = None
                    released += 1
            for row in self._leased_runs():
                if row[R_LOWNER] in gone:
                    row[R_LOWNER] = row[R_LUNTIL] = None
                    released += 1
        if released:
            self._signal_work()
        return released

    def apply_message_facts(self, facts: Sequence[MessageFacts], now: float) -> None:
        for f in facts:
            if f.status is not None:
                check_message_status(f.status)
        with self._lock:
            self._apply_facts(facts)

    def _apply_facts(self, facts: Sequence[MessageFacts]) -> None:
        for f in facts:
            row = self._messages.get(f.message_id)
            if row is None:
                continue
            new = merge_status(row[M_STATUS], f.status)
            for index, value in (
                (M_DELIVERED, f.delivered_at),
                (M_OPENED, f.opened_at),
                (M_CLICKED, f.clicked_at),
                (M_REPLIED, f.replied_at),
            ):
                if row[index] is None:
                    row[index] = value
            if f.error is not None and (f.status is None or new == f.status):
                row[M_ERROR] = f.error
            if new != row[M_STATUS]:
                row[M_STATUS] = new
                self._index_message(row)

    def get_message(self, message_id: int) -> Message | None:
        with self._lock:
            row = self._messages.get(message_id)
            return None if row is None else self._message_out(row)

    def find_message(self, idempotency_key: str) -> Message | None:
        with self._lock:
            mid = self._message_by_key.get(idempotency_key)
            return None if mid is None else self._message_out(self._messages[mid])

    def find_message_by_provider(self, provider_id: str) -> Message | None:
        with self._lock:
            found = [m for m in self._messages.values() if m[M_PROVIDER] == provider_id]
            return self._message_out(max(found, key=lambda m: int(m[M_ID]))) if found else None

    def latest_message_to(self, contact_id: str, channel: str) -> Message | None:
        with self._lock:
            best: list[Any] | None = None
            best_key: tuple[float, int] | None = None
            for mid in self._messages_by_contact.get(contact_id, ()):
                row = self._messages[mid]
                if row[M_CHANNEL] != channel or row[M_STATUS] not in (SENT, DELIVERED):
                    continue
                key = (row[M_SENT] if row[M_SENT] is not None else row[M_CREATED], mid)
                if best_key is None or key > best_key:
                    best, best_key = row, key
            return None if best is None else self._message_out(best)

    def sent_counts_since(
        self, contact_ids: Iterable[str], since: float, channels: Iterable[str] | None = None
    ) -> dict[str, int]:
        wanted = None if channels is None else frozenset(channels)
        with self._lock:
            out: dict[str, int] = {}
            for cid in sorted(set(contact_ids)):
                n = 0
                for mid in self._messages_by_contact.get(cid, ()):
                    row = self._messages[mid]
                    if (
                        row[M_STATUS] in _SENT
                        and row[M_RUN] is not None
                        and row[M_SENT] is not None
                        and row[M_SENT] >= since
                        and (wanted is None or row[M_CHANNEL] in wanted)
                    ):
                        n += 1
                out[cid] = n
            return out

    def last_reply_at(self, contact_ids: Iterable[str]) -> dict[str, float]:
        with self._lock:
            return {
                cid: self._last_reply[cid]
                for cid in sorted(set(contact_ids))
                if cid in self._last_reply
            }

    def list_messages(self, flt: MessageFilter) -> list[Message]:
        with self._lock:
            if flt.run_id is not None:
                source: Iterable[list[Any]] = (
                    self._messages[i] for i in self._messages_by_run.get(flt.run_id, ())
                )
            elif flt.contact_id is not None:
                source = (
                    self._messages[i] for i in self._messages_by_contact.get(flt.contact_id, ())
                )
            else:
                source = self._messages.values()
            rows = [
                r
                for r in source
                if (flt.run_id is None or r[M_RUN] == flt.run_id)
                and (flt.contact_id is None or r[M_CONTACT] == flt.contact_id)
                and (flt.status is None or r[M_STATUS] == flt.status)
                and (flt.channel is None or r[M_CHANNEL] == flt.channel)
                and r[M_ID] > flt.after_id
                and self._in_scope(r[M_CONTACT], flt.scope)
            ]
            return [self._message_out(r) for r in rows[flt.offset : flt.offset + flt.limit]]

    def messages_of_run(self, run_id: int) -> list[Message]:
        with self._lock:
            return [
                self._message_out(self._messages[i]) for i in self._messages_by_run.get(run_id, ())
            ]

    # ------------------------------------------------------------------ due times
    def next_due_at(self, include_leases: bool = True) -> float | None:
        with self._lock:
            found: list[float] = []
            # runs: in wake_at order, held runs count at their lease_until, up to the first run
            # that is not held past its wake_at (held runs are work in flight: few)
            heap = self._run_heap
            popped: list[tuple[float, int, int]] = []
            while heap:
                entry = heapq.heappop(heap)
                row = self._runs.get(entry[1])
                if row is None or row[R_HVER] != entry[2]:
                    continue  # stale
                popped.append(entry)
                until = row[R_LUNTIL]
                if until is not None and until > entry[0]:
                    if include_leases:
                        found.append(until)
                    continue
                found.append(entry[0])
                break
            for entry in popped:
                heapq.heappush(heap, entry)
            # messages: pending/deferred at due_at; sending at its lease expiry
            mheap = self._message_heap
            while mheap:
                if self._messages[mheap[0][1]][M_HVER] == mheap[0][2]:
                    found.append(mheap[0][0])
                    break
                heapq.heappop(mheap)
            for mid in self._sending:
                row = self._messages[mid]
                until = row[M_LUNTIL]
                if until is None or until <= row[M_DUE]:
                    found.append(row[M_DUE])
                elif include_leases:
                    found.append(until)
            # events: at occurred_at, or at the lease expiry while leased past it
            for eid in self._unprocessed:
                row = self._events[eid]
                until = row[E_LUNTIL]
                if until is None or until <= row[E_OCCURRED]:
                    found.append(row[E_OCCURRED])
                elif include_leases:
                    found.append(until)
            if self._schedules:
                found.append(min(r[5] for r in self._schedules.values()))
            return min(found) if found else None

    # ------------------------------------------------------------------ sandbox ledger
    def sandbox_deliver_many(
        self, items: Sequence[tuple[str, str, str | None, str | None, str]], now: float
    ) -> list[bool]:
        for item in items:
            _require(item[0], "sandbox_deliveries.idempotency_key")
        with self._lock:
            # plan and check first (a refused batch changes nothing), then apply
            out: list[bool] = []
            new: dict[str, list[Any]] = {}
            again: list[str] = []
            for key, channel, to, body, provider_id in items:
                if key in self._sandbox or key in new:
                    out.append(False)
                    again.append(key)
                    continue
                _require(channel, "sandbox_deliveries.channel")
                _require(provider_id, "sandbox_deliveries.provider_id")
                new[key] = [key, channel, to, body, provider_id, now, 0]
                out.append(True)
            self._sandbox.update(new)
            for key in again:
                self._sandbox[key][6] += 1
            return out

    def sandbox_lookup(self, idempotency_key: str) -> SandboxDelivery | None:
        with self._lock:
            row = self._sandbox.get(idempotency_key)
            return None if row is None else sandbox_from_row(row)

    def sandbox_deliveries(self) -> list[SandboxDelivery]:
        with self._lock:
            return [sandbox_from_row(r) for r in self._sandbox.values()]


__all__ = ["MemoryStore"]
