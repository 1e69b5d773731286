"""What the SQLite and PostgreSQL backends share: SQL text that differs only in its placeholder
(written with ``?``, given to PostgreSQL with ``%s``), and pure functions that turn fetched rows
into records and records into rows. No connection, no transaction: each backend runs the SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from leadflow.errors import StoreError
from leadflow.store.codec import (
    CONTACT_COLS,
    WORKFLOW_COLS,
    dumps,
    loads,
    message_from_row,
    run_from_row,
    workflow_from_row,
)
from leadflow.store.records import (
    ENDED_STATUSES,
    RUN_STATUSES,
    Advance,
    ClaimedMessage,
    ClaimedRun,
    CommitResult,
    Contact,
    ContactFilter,
    ContactPatch,
    EnrollRequest,
    HeldLease,
    Message,
    MessageFacts,
    MessageUpdate,
    NewEvent,
    NodeCount,
    Run,
    Scope,
    Step,
    WorkflowVersion,
)
from leadflow.store.rules import (
    HOLD_EVENT_TYPES,
    REPLY_EVENT_TYPES,
    check_message_status,
    check_reentry,
    events_not_about,
    merge_status,
    publishable,
    summarize_leases,
)

LIVE = "status IN ('active', 'waiting')"  # exactly the runs_due index's WHERE
QUEUED = "status IN ('pending', 'deferred', 'sending')"  # exactly the messages_due index's WHERE
OPEN = "('active', 'waiting', 'paused')"
ENDED = "('completed', 'exited', 'failed', 'cancelled')"
SENT = "('sent', 'delivered')"
REPLIES = "(" + ", ".join(f"'{t}'" for t in REPLY_EVENT_TYPES) + ")"
HOLDS = "(" + ", ".join(f"'{t}'" for t in HOLD_EVENT_TYPES) + ")"  # hold back a contact's outbox
INF = float("inf")

# Objects handed in that get their new ids once the transaction has committed.
IdAssignments = list[tuple[Step | Message, int]]


class _Fetched(Protocol):
    def fetchone(self) -> Any: ...

    def __iter__(self) -> Any: ...


class Executes(Protocol):
    """A connection of either driver: ``execute(sql, params)`` returns a cursor."""

    def execute(self, sql: str, params: Any = ..., /) -> _Fetched: ...


@dataclass(frozen=True)
class Dialect:
    """What differs in the SQL text shared by the two databases."""

    placeholder: str  # "?" or "%s"
    count_if: str  # an aggregate counting the rows where ``{}`` holds
    in_ids: str  # ``column {in_ids}``: the column is one of a list of ids (one parameter)
    in_texts: str  # the same for a list of texts
    json_lists: bool  # lists are passed as one JSON text (SQLite) or as arrays (PostgreSQL)

    def sql(self, text: str) -> str:
        """``text`` (written with ``?`` placeholders) for this database."""
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def values(self, items: Iterable[Any]) -> Any:
        """The one parameter that carries a list for ``in_ids`` / ``in_texts``."""
        return dumps(list(items)) if self.json_lists else list(items)


SQLITE = Dialect(
    "?",
    "sum({})",
    "IN (SELECT value FROM json_each(?))",
    "IN (SELECT value FROM json_each(?))",
    True,
)
POSTGRES = Dialect(
    "%s", "count(*) FILTER (WHERE {})", "= ANY(%s::bigint[])", "= ANY(%s::text[])", False
)


def where(dialect: Dialect, *conditions: tuple[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """`` WHERE a = ? AND b = ?`` for the conditions whose value is not None."""
    used = [(column, value) for column, value in conditions if value is not None]
    if not used:
        return "", ()
    p = dialect.placeholder
    return " WHERE " + " AND ".join(f"{c} = {p}" for c, _ in used), tuple(v for _, v in used)


class Where:
    """WHERE conditions built up one at a time, each with its parameters (``?`` placeholders,
    or the dialect's when built with :meth:`Dialect.placeholder` text)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.conditions: list[str] = []
        self.params: list[Any] = []

    def eq(self, column: str, value: Any) -> Where:
        if value is not None:
            self.add(f"{column} = ?", value)
        return self

    def add(self, condition: str, *params: Any) -> Where:
        self.conditions.append(self.dialect.sql(condition))
        self.params.extend(params)
        return self

    def contacts_in(self, scope: Scope | None, prefix: str = "") -> Where:
        """The contacts table's own rows in ``scope`` (columns ``{prefix}tenant_id``...)."""
        if scope is not None:
            self.add(f"{prefix}tenant_id = ?", scope.tenant_id)
            if scope.owners is not None:
                owners = self.dialect.values(sorted(scope.owners))
                self.add(f"{prefix}owner {self.dialect.in_texts.replace('%s', '?')}", owners)
        return self

    def contact_of(self, scope: Scope | None, column: str) -> Where:
        """Rows whose contact (``column`` holds its id) is in ``scope``."""
        if scope is not None:
            inner = Where(self.dialect).contacts_in(scope)
            self.conditions.append(
                f"{column} IN (SELECT id FROM contacts WHERE {' AND '.join(inner.conditions)})"
            )
            self.params.extend(inner.params)
        return self

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.conditions) if self.conditions else ""


def escape_like(text: str) -> str:
    """``text`` as a LIKE pattern matching it literally (escape character ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contact_filter_sql(dialect: Dialect, flt: ContactFilter) -> tuple[str, tuple[Any, ...]]:
    """The SELECT of ``find_contacts`` for this filter (with its parameters)."""
    w = Where(dialect).contacts_in(flt.scope)
    w.eq("owner", flt.owner).eq("stage", flt.stage).eq("phone", flt.phone)
    if flt.email is not None:
        w.add("lower(email) = ?", flt.email.lower())
    if flt.q:
        pattern = "%" + escape_like(flt.q.lower()) + "%"
        w.add(
            "(lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) LIKE ? "
            "ESCAPE '\\' OR lower(coalesce(email, '')) LIKE ? ESCAPE '\\' "
            "OR coalesce(phone, '') LIKE ? ESCAPE '\\')",
            pattern,
            pattern,
            pattern,
        )
    if flt.tag is not None:
        tags = "json_each(tags)" if dialect.json_lists else "jsonb_array_elements_text(tags::jsonb)"
        w.add(f"EXISTS (SELECT 1 FROM {tags} t WHERE t.value = ?)", flt.tag)
    if flt.updated_since is not None:
        w.add("updated_at >= ?", flt.updated_since)
    if flt.after_id is not None:
        w.add("id > ?", flt.after_id)
    p = dialect.placeholder
    sql = f"SELECT {CONTACT_COLS} FROM contacts{w.sql()} ORDER BY id LIMIT {p}"
    return sql, (*w.params, flt.limit)


def publish_version(
    conn: Executes,
    dialect: Dialect,
    key: str,
    name: str,
    definition: dict[str, Any],
    now: float,
    tenant_id: str,
) -> WorkflowVersion:
    """The body of ``publish_workflow`` inside the caller's write transaction (which holds
    whatever lock its database needs to number versions one at a time)."""
    text = dumps(definition)
    row = conn.execute(
        dialect.sql(
            f"SELECT {WORKFLOW_COLS} FROM workflows WHERE tenant_id = ? AND key = ? "
            "ORDER BY version DESC LIMIT 1"
        ),
        (tenant_id, key),
    ).fetchone()
    found = None if row is None else workflow_from_row(row)
    latest = publishable(found, definition)
    if latest is not None:
        return latest
    version = 1 if found is None else found.version + 1
    conn.execute(
        dialect.sql(
            "INSERT INTO workflows (key, version, name, definition, published_at, tenant_id) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        ),
        (key, version, name, text, now, tenant_id),
    )
    return WorkflowVersion(key, version, name, loads(text), now, tenant_id)


# ---------------------------------------------------------------------- statements
UPDATE_RUN = (
    "UPDATE runs SET node = ?, status = ?, wake_at = ?, context = ?, step_seq = ?, attempt = ?, "
    "waiting_for = ?, ended_at = ?, exit_reason = ?, error = ?, updated_at = ?, seq = seq + 1, "
    "version = coalesce(?, version), lease_owner = NULL, lease_until = NULL "
    "WHERE id = ? AND seq = ?"
)
INSERT_STEP = (
    "INSERT INTO steps (id, run_id, node, kind, step_seq, attempt, outcome, started_at, due_at, "
    "error, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = (
    "INSERT INTO events (id, type, contact_id, data, dedupe_key, occurred_at, created_at, "
    "processed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_CONTACT = (
    "UPDATE contacts SET first_name = ?, last_name = ?, email = ?, phone = ?, time_zone = ?, "
    "state = ?, owner = ?, stage = ?, tags = ?, fields = ?, consent = ?, updated_at = ? "
    "WHERE id = ?"
)
UPDATE_FACTS = (
    "UPDATE messages SET status = ?, delivered_at = coalesce(delivered_at, ?), "
    "opened_at = coalesce(opened_at, ?), clicked_at = coalesce(clicked_at, ?), "
    "replied_at = coalesce(replied_at, ?), error = coalesce(?, error) WHERE id = ?"
)


def update_message_sql(status_param: str) -> str:
    """The UPDATE of a message by its lease holder; ``status_param`` is the placeholder of the
    second status (PostgreSQL wants its type)."""
    return (
        "UPDATE messages SET status = ?, due_at = coalesce(?, due_at), "
        "attempts = coalesce(?, attempts), sent_at = coalesce(?, sent_at), "
        "delivered_at = coalesce(?, delivered_at), provider_id = coalesce(?, provider_id), "
        f"suppressed_reason = CASE WHEN {status_param} IN {SENT} THEN NULL "
        "ELSE coalesce(?, suppressed_reason) END, error = coalesce(?, error), "
        "lease_owner = NULL, lease_until = NULL WHERE id = ?"
    )


# Live work under a lease, per queue; each WHERE holds its *_leased index's condition.
LEASED_TABLES = (
    ("events", "processed_at IS NULL"),
    ("messages", "status = 'sending'"),
    ("runs", LIVE),
)
HELD_QUERIES = tuple(
    (
        table,
        f"SELECT lease_owner, lease_until FROM {table} WHERE lease_owner IS NOT NULL AND {live}",
    )
    for table, live in LEASED_TABLES
)

# (first unheld due time, least lease_until of the held entries due before it) per queue. Each
# WHERE repeats its partial index's condition word for word, so the planner can use the index.
DUE_QUERIES = (
    (
        f"SELECT wake_at FROM runs WHERE {LIVE} AND wake_at IS NOT NULL "
        "AND (lease_until IS NULL OR lease_until <= wake_at) ORDER BY wake_at LIMIT 1",
        f"SELECT min(lease_until) FROM runs WHERE {LIVE} AND wake_at < ? AND lease_until > wake_at",
    ),
    (
        f"SELECT due_at FROM messages WHERE {QUEUED} AND (status <> 'sending' "
        "OR lease_until IS NULL OR lease_until <= due_at) ORDER BY due_at LIMIT 1",
        f"SELECT min(lease_until) FROM messages WHERE {QUEUED} AND due_at < ? "
        "AND status = 'sending' AND lease_until > due_at",
    ),
    (
        "SELECT occurred_at FROM events WHERE processed_at IS NULL "
        "AND (lease_until IS NULL OR lease_until <= occurred_at) ORDER BY occurred_at LIMIT 1",
        "SELECT min(lease_until) FROM events WHERE processed_at IS NULL AND occurred_at < ? "
        "AND lease_until > occurred_at",
    ),
)


@cache
def due_queries(dialect: Dialect) -> tuple[tuple[str, str], ...]:
    return tuple((first, dialect.sql(held)) for first, held in DUE_QUERIES)


def next_due(
    conn: Executes, queries: Sequence[tuple[str, str]], include_leases: bool
) -> float | None:
    """The contract's ``next_due_at``, inside one read snapshot. Each queue in two index range
    reads: the first entry, in due order, whose lease does not hold it past its due time (W),
    then the least lease_until among the held entries before W. Held entries are work in
    flight, so the second read touches only those, however many runs wait."""
    found: list[float] = []
    for first, held in queries:
        row = conn.execute(first).fetchone()
        unheld: float | None = None if row is None else row[0]
        if unheld is not None:
            found.append(unheld)
        if not include_leases:
            continue
        lease_row = conn.execute(held, (INF if unheld is None else unheld,)).fetchone()
        if lease_row is not None and lease_row[0] is not None:
            found.append(lease_row[0])
    fire_row = conn.execute("SELECT min(next_fire_at) FROM schedules").fetchone()
    if fire_row is not None and fire_row[0] is not None:
        found.append(fire_row[0])
    return min(found) if found else None


def held_leases(conn: Executes) -> list[HeldLease]:
    """The contract's ``held_leases``, inside one read snapshot."""
    found: list[tuple[str, str, float]] = []
    for queue, sql in HELD_QUERIES:
        found += [(r[0], queue, r[1]) for r in conn.execute(sql)]
    return summarize_leases(found)


# ---------------------------------------------------------------------- node counts
@cache
def node_count_queries(dialect: Dialect, extra: Sequence[str] = ()) -> tuple[str, str, str]:
    """Per (version, node) of a workflow key (the first parameter): runs that entered; runs
    sent / delivered / replied to; runs that ended there and runs there now. ``extra``
    conditions on the run ``r`` (already in the dialect's placeholders) narrow all three."""
    more = "".join(f" AND {c}" for c in extra)
    p = dialect.placeholder
    return (
        dialect.sql(
            "SELECT r.version, s.node, count(DISTINCT s.run_id) FROM runs r "
            "JOIN steps s ON s.run_id = r.id WHERE r.workflow_key = ?"
        )
        + f"{more} GROUP BY r.version, s.node",
        dialect.sql(
            "SELECT r.version, m.node, "
            "count(DISTINCT CASE WHEN m.status IN ('sent', 'delivered') THEN m.run_id END), "
            "count(DISTINCT CASE WHEN m.status = 'delivered' THEN m.run_id END), "
            "count(DISTINCT CASE WHEN m.replied_at IS NOT NULL THEN m.run_id END) "
            "FROM runs r JOIN messages m ON m.run_id = r.id "
            "WHERE r.workflow_key = ? AND m.node IS NOT NULL"
        )
        + f"{more} GROUP BY r.version, m.node",
        f"SELECT r.version, r.node, {dialect.count_if.format(f'r.status IN {ENDED}')}, "
        f"{dialect.count_if.format(f'r.status IN {OPEN}')} "
        f"FROM runs r WHERE r.workflow_key = {p} AND r.node IS NOT NULL{more} "
        "GROUP BY r.version, r.node",
    )


def node_counts(
    conn: Executes,
    queries: tuple[str, str, str],
    workflow_key: str,
    extra_params: Sequence[Any] = (),
) -> list[NodeCount]:
    """The contract's ``node_counts``, inside one read snapshot."""
    counts: dict[tuple[int, str], NodeCount] = {}

    def at(version: int, node: str) -> NodeCount:
        found = counts.get((version, node))
        if found is None:
            found = counts[(version, node)] = NodeCount(workflow_key, version, node)
        return found

    entered_sql, messages_sql, positions_sql = queries
    params = (workflow_key, *extra_params)
    for version, node, entered in conn.execute(entered_sql, params):
        at(version, node).entered = entered
    for version, node, sent, delivered, replied in conn.execute(messages_sql, params):
        nc = at(version, node)
        nc.sent, nc.delivered, nc.replied = sent, delivered, replied
    for version, node, exited, current in conn.execute(positions_sql, params):
        nc = at(version, node)
        nc.exited, nc.current = exited, current
    return [counts[k] for k in sorted(counts)]


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
    return [
        (
            c.first_name,
            c.last_name,
            c.email,
            c.phone,
            c.time_zone,
            c.state,
            c.owner,
            c.stage,
            dumps(c.tags),
            dumps(c.fields),
            dumps(c.consent),
            now,
            c.id,
        )
        for c in contacts
    ]


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
def claimed_runs(rows: list[Any], contacts: dict[str, Contact]) -> list[ClaimedRun]:
    """Claimed ``RUN_COLS`` rows in wake_at, id order, each with its contact."""
    rows.sort(key=lambda r: (r[6], r[0]))
    return [ClaimedRun(run_from_row(r), contacts.get(r[3])) for r in rows]


def claimed_messages(
    rows: list[Any], contacts: dict[str, Contact], in_doubt: set[int]
) -> list[ClaimedMessage]:
    """Claimed ``MESSAGE_COLS, r.status, r.version`` rows in due_at, id order."""
    rows.sort(key=lambda r: (r[7], r[23]))
    out: list[ClaimedMessage] = []
    for r in rows:
        contact = None if r[1] is None else contacts.get(r[1])
        out.append(ClaimedMessage(message_from_row(r), contact, r[24], r[25], r[23] in in_doubt))
    return out


def runs_by_contact(rows: Iterable[Any]) -> dict[str, list[Run]]:
    """``RUN_COLS`` rows (in contact, id order) grouped by contact id."""
    out: dict[str, list[Run]] = {}
    for r in rows:
        found = out.get(r[3])
        if found is None:
            found = out[r[3]] = []
        found.append(run_from_row(r))
    return out


def check_sandbox_keys(items: Iterable[tuple[str, str, str | None, str | None, str]]) -> None:
    for item in items:
        if item[0] is None:
            raise StoreError("NOT NULL constraint failed: sandbox_deliveries.idempotency_key")


__all__ = [
    "POSTGRES",
    "SQLITE",
    "Dialect",
    "Products",
    "gather_products",
    "next_due",
    "node_counts",
    "plan_commit",
    "where",
]
