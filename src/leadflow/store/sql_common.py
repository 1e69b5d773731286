"""What the SQLite and PostgreSQL backends share: SQL text that differs only in its placeholder
(written with ``?``, given to PostgreSQL with ``%s``), and pure functions that turn fetched rows
into records and records into rows. No connection, no transaction: each backend runs the SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from leadflow.model.jsonvalue import dumps, loads
from leadflow.model.records import (
    BRANCH_LINK,
    ContactFilter,
    HeldLease,
    NodeCount,
    Scope,
    WorkflowVersion,
)
from leadflow.model.rules import (
    HOLD_EVENT_TYPES,
    REPLY_EVENT_TYPES,
    publishable,
    summarize_leases,
)
from leadflow.store.codec import CONTACT_COLS, WORKFLOW_COLS, workflow_from_row

LIVE = "status IN ('active', 'waiting')"  # exactly the runs_due index's WHERE
# Exactly the messages_due index's WHERE (migration 0270), in parentheses: comparisons joined by
# OR, not an IN list, which SQLite evaluates by building a temporary b-tree.
QUEUED = "(status = 'pending' OR status = 'deferred' OR status = 'sending')"
OPEN = "('active', 'waiting', 'paused')"
ENDED = "('completed', 'exited', 'failed', 'cancelled')"
SENT = "('sent', 'delivered')"
REPLIES = "(" + ", ".join(f"'{t}'" for t in REPLY_EVENT_TYPES) + ")"
HOLDS = "(" + ", ".join(f"'{t}'" for t in HOLD_EVENT_TYPES) + ")"  # hold back a contact's outbox
INF = float("inf")


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

    def not_branch(self, runs: str = "") -> str:
        """The run (of table alias ``runs``, e.g. ``"r."``) is no ``parallel`` node's branch run
        (whose context links it to its parent): it entered the workflow."""
        if self.json_lists:
            return f"json_extract({runs}context, '$.{BRANCH_LINK}') IS NULL"
        return f"({runs}context::jsonb -> '{BRANCH_LINK}') IS NULL"


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


__all__ = [
    "POSTGRES",
    "SQLITE",
    "Dialect",
    "next_due",
    "node_counts",
    "where",
]
