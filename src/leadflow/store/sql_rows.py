"""What the SQL write paths compute in Python, the same for both databases: commit plans (seq
guards) and the rows a commit writes, the outbox's lease fence, and the records built from
claimed rows. No connection of its own: each function is given the rows or the cursor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.errors import StoreError
from leadflow.model.jsonvalue import dumps
from leadflow.model.records import (
    ENDED_STATUSES,
    RUN_STATUSES,
    Advance,
    ClaimedMessage,
    ClaimedRun,
    CommitResult,
    Contact,
    ContactPatch,
    EnrollRequest,
    Message,
    MessageFacts,
    MessageUpdate,
    NewEvent,
    Run,
    Step,
)
from leadflow.model.rules import (
    check_message_status,
    check_reentry,
    events_not_about,
    merge_status,
)
from leadflow.store.codec import (
    MESSAGE_COLS,
    MESSAGE_INSERT_COLS,
    RUN_COLS,
    column_positions,
    contact_values,
    message_from_row,
    run_from_row,
)
from leadflow.store.sql_common import OPEN, Dialect

# Objects handed in that get their new ids once the transaction has committed.
IdAssignments = list[tuple[Step | Message, int]]


# ---------------------------------------------------------------------- commits
@dataclass
class Products:
    """What the applied advances of a commit add besides their runs' new state."""

    steps: list[tuple[int, Step]] = field(default_factory=list)  # (run_id, step)
    messages: list[Message] = field(default_factory=list)
    patches: list[ContactPatch] = field(default_factory=list)
    enrollments: list[EnrollRequest] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)


def plan_commit(
    advances: Sequence[Advance], seqs: dict[int, int], now: float
) -> tuple[CommitResult, list[Advance], list[tuple[Any, ...]]]:
    """Judge each advance by its seq guard against ``seqs`` (updated as advances apply, so a
    second advance of one run in the batch needs the seq the first leaves): the result, the
    applied advances and their ``UPDATE_RUN`` rows. Raises on an unknown status."""
    result = CommitResult()
    applied: list[Advance] = []
    updates: list[tuple[Any, ...]] = []
    ended_statuses = ENDED_STATUSES
    wake_at: float | None
    ended_at: float | None
    for a in advances:
        if seqs.get(a.run_id) != a.seq:
            result.conflicts += 1
            result.conflicted_run_ids.append(a.run_id)
            continue
        seqs[a.run_id] = a.seq + 1
        applied.append(a)
        if a.status in ended_statuses:
            wake_at, ended_at = None, (now if a.ended_at is None else a.ended_at)
        else:
            wake_at, ended_at = a.wake_at, a.ended_at
        updates.append(
            (
                a.node,
                a.status,
                wake_at,
                dumps(a.context),
                a.step_seq,
                a.attempt,
                a.waiting_for,
                ended_at,
                a.exit_reason,
                a.error,
                now,
                a.version,
                a.run_id,
                a.seq,
            )
        )
    result.applied = len(applied)
    for a in applied:
        if a.status not in RUN_STATUSES:
            raise StoreError(f"run {a.run_id}: unknown status {a.status!r}")
    return result, applied, updates


def gather_products(applied: Iterable[Advance]) -> Products:
    out = Products()
    for a in applied:
        if a.steps:
            run_id = a.run_id
            out.steps += [(run_id, s) for s in a.steps]
        if a.messages:
            out.messages += a.messages
        if a.contact_patches:
            out.patches += a.contact_patches
        if a.enrollments:
            out.enrollments += a.enrollments
        if a.events:
            out.events += a.events
    return out


class WritesProducts:
    """Writes the products of a commit, in one order for both backends, through the backend's
    own writers (each inside the open transaction ``conn``)."""

    def _insert_steps(self, conn: Any, steps: Sequence[tuple[int, Step]], ids: Any) -> None:
        raise NotImplementedError

    def _insert_messages(self, conn: Any, messages: Sequence[Message], ids: Any) -> None:
        raise NotImplementedError

    def _patch(self, conn: Any, patches: Sequence[ContactPatch], now: float) -> None:
        raise NotImplementedError

    def _enroll(self, conn: Any, requests: Sequence[EnrollRequest], now: float) -> Any:
        raise NotImplementedError

    def _append_events(self, conn: Any, events: Sequence[NewEvent], now: float) -> Any:
        raise NotImplementedError

    def _write_products(self, conn: Any, applied: Iterable[Advance], now: float, ids: Any) -> None:
        made = gather_products(applied)
        if made.steps:
            self._insert_steps(conn, made.steps, ids)
        if made.messages:
            self._insert_messages(conn, made.messages, ids)
        if made.patches:
            self._patch(conn, made.patches, now)
        if made.enrollments:
            for req in made.enrollments:
                check_reentry(req.reentry, req.reentry_days)
            self._enroll(conn, made.enrollments, now)
        if made.events:
            self._append_events(conn, made.events, now)


def step_rows(
    steps: Sequence[tuple[int, Step]], new_ids: Iterable[int], ids: IdAssignments
) -> list[tuple[Any, ...]]:
    """``INSERT_STEP`` rows for ``(run_id, step)`` pairs; each step and its new id go to ``ids``."""
    rows: list[tuple[Any, ...]] = []
    for (run_id, s), step_id in zip(steps, new_ids, strict=False):
        data = s.data
        rows.append(
            (
                step_id,
                run_id,
                s.node,
                s.kind,
                s.step_seq,
                s.attempt,
                s.outcome,
                s.started_at,
                s.due_at,
                s.error,
                None if data is None else dumps(data),
            )
        )
        ids.append((s, step_id))
    return rows


def event_row(event_id: int, e: NewEvent, now: float) -> tuple[Any, ...]:
    """The ``INSERT_EVENT`` row of a new event."""
    return (
        event_id,
        e.type,
        e.contact_id,
        dumps(e.data),
        e.dedupe_key,
        e.occurred_at,
        now,
        now if e.processed else None,
    )


# ---------------------------------------------------------------------- contacts / messages
def contact_update_rows(contacts: Iterable[Contact], now: float) -> list[tuple[Any, ...]]:
    """``UPDATE_CONTACT`` rows of patched contacts."""
    return [(*contact_values(c), now, c.id) for c in contacts]


def enroll_all_filters(reentry: str, named: str) -> tuple[str, str]:
    """The conditions ``enroll_all`` adds for a re-entry policy: (on the contact's runs ``r``,
    on its enrollment marks). ``named`` writes a named parameter (``":{}"`` for SQLite,
    ``"%({})s"`` for PostgreSQL); the statement binds ``key`` and ``since``. Marks (pruned
    runs, all finished) never block ``always``; each is a primary-key lookup."""
    key, since = named.format("key"), named.format("since")
    marked = (
        " AND NOT EXISTS (SELECT 1 FROM enrollment_marks k "
        f"WHERE k.contact_id = c.id AND k.workflow_key = {key}"
    )
    blocking = {
        "never": "",
        "always": f" AND r.status IN {OPEN}",
        "after": f" AND (r.status IN {OPEN} OR r.created_at > {since})",
    }[reentry]
    marks = {
        "never": marked + ")",
        "always": "",
        "after": marked + f" AND k.last_created_at > {since})",
    }[reentry]
    return blocking, marks


def fence_verdicts(
    conn: Any,
    dialect: Dialect,
    owner: str,
    updates: Sequence[MessageUpdate],
    events: Sequence[NewEvent],
    lock: str = "",
) -> tuple[list[MessageUpdate], list[NewEvent], list[int]]:
    """``update_messages``' lease fence: (the verdicts of messages still ``sending`` under
    ``owner``'s lease, the events not about a refused message, the refused ids in the order
    given). ``lock`` ends the read (PostgreSQL locks the rows it will update)."""
    held = {
        r[0]
        for r in conn.execute(
            dialect.sql(
                f"SELECT id FROM messages WHERE id {dialect.in_ids} AND status = 'sending' "
                f"AND lease_owner = ?{lock}"
            ),
            (dialect.values(u.message_id for u in updates), owner),
        )
    }
    refused = [u.message_id for u in updates if u.message_id not in held]
    kept = [u for u in updates if u.message_id in held]
    return kept, events_not_about(events, refused), refused


def message_update_rows(updates: Iterable[MessageUpdate]) -> list[tuple[Any, ...]]:
    """``update_message_sql`` rows."""
    return [
        (
            u.status,
            u.due_at,
            u.attempts,
            u.sent_at,
            u.delivered_at,
            u.provider_id,
            u.status,
            u.suppressed_reason,
            u.error,
            u.message_id,
        )
        for u in updates
    ]


def check_facts(facts: Iterable[MessageFacts]) -> None:
    for f in facts:
        if f.status is not None:
            check_message_status(f.status)


def fact_rows(facts: Iterable[MessageFacts], status: dict[int, str]) -> list[tuple[Any, ...]]:
    """``UPDATE_FACTS`` rows: each fact merged into its message's ``status`` (updated as facts
    apply); facts about unknown messages are dropped."""
    rows: list[tuple[Any, ...]] = []
    for f in facts:
        current = status.get(f.message_id)
        if current is None:
            continue
        new = merge_status(current, f.status)
        status[f.message_id] = new
        error = f.error if f.status is None or new == f.status else None
        rows.append(
            (new, f.delivered_at, f.opened_at, f.clicked_at, f.replied_at, error, f.message_id)
        )
    return rows


# ---------------------------------------------------------------------- claimed / fetched rows
# Positions, by column name, in rows read with RUN_COLS and MESSAGE_COLS (claimed messages add
# their run's status and version after MESSAGE_COLS); in rows made by message_to_row (the id,
# then MESSAGE_INSERT_COLS), where the status is.
_RUN = column_positions(RUN_COLS)
RUN_ID, RUN_CONTACT, RUN_WAKE = _RUN["id"], _RUN["contact_id"], _RUN["wake_at"]
_MESSAGE = column_positions(MESSAGE_COLS)
MESSAGE_ID, MESSAGE_CONTACT, MESSAGE_DUE = (
    _MESSAGE["id"],
    _MESSAGE["contact_id"],
    _MESSAGE["due_at"],
)
RUN_STATUS, RUN_VERSION = len(_MESSAGE), len(_MESSAGE) + 1
NEW_MESSAGE_STATUS = 1 + column_positions(MESSAGE_INSERT_COLS)["status"]


def claimed_runs(rows: list[Any], contacts: dict[str, Contact]) -> list[ClaimedRun]:
    """Claimed ``RUN_COLS`` rows in wake_at, id order, each with its contact."""
    rows.sort(key=lambda r: (r[RUN_WAKE], r[RUN_ID]))
    return [ClaimedRun(run_from_row(r), contacts.get(r[RUN_CONTACT])) for r in rows]


def claimed_messages(
    rows: list[Any], contacts: dict[str, Contact], in_doubt: set[int]
) -> list[ClaimedMessage]:
    """Claimed ``MESSAGE_COLS, r.status, r.version`` rows in due_at, id order."""
    rows.sort(key=lambda r: (r[MESSAGE_DUE], r[MESSAGE_ID]))
    out: list[ClaimedMessage] = []
    for r in rows:
        contact_id = r[MESSAGE_CONTACT]
        contact = None if contact_id is None else contacts.get(contact_id)
        message = message_from_row(r)
        doubt = r[MESSAGE_ID] in in_doubt
        out.append(ClaimedMessage(message, contact, r[RUN_STATUS], r[RUN_VERSION], doubt))
    return out


def runs_by_contact(rows: Iterable[Any]) -> dict[str, list[Run]]:
    """``RUN_COLS`` rows (in contact, id order) grouped by contact id."""
    out: dict[str, list[Run]] = {}
    for r in rows:
        contact_id = r[RUN_CONTACT]
        found = out.get(contact_id)
        if found is None:
            found = out[contact_id] = []
        found.append(run_from_row(r))
    return out


def check_sandbox_keys(items: Iterable[tuple[str, str, str | None, str | None, str]]) -> None:
    for item in items:
        if item[0] is None:
            raise StoreError("NOT NULL constraint failed: sandbox_deliveries.idempotency_key")


__all__ = [
    "IdAssignments",
    "Products",
    "WritesProducts",
    "check_facts",
    "check_sandbox_keys",
    "claimed_messages",
    "claimed_runs",
    "contact_update_rows",
    "enroll_all_filters",
    "event_row",
    "fact_rows",
    "fence_verdicts",
    "gather_products",
    "message_update_rows",
    "plan_commit",
    "runs_by_contact",
    "step_rows",
]
