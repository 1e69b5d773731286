"""The statements of the shared SQL write paths (:mod:`.sql_writes`), per dialect: the claims
are named queries in ``store/sql/<dialect>/queries/*.sql``; the rest is one text for both
databases, in the dialect's placeholders and list parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from leadflow.store import codec, sqlfiles
from leadflow.store.sql_common import (
    HOLDS,
    INSERT_STEP,
    LEASED_TABLES,
    LIVE,
    OPEN,
    QUEUED,
    UPDATE_CONTACT,
    UPDATE_FACTS,
    UPDATE_RUN,
    Dialect,
    update_message_sql,
)

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)")


def named(dialect: Dialect, text: str) -> str:
    """``text`` written with ``:name`` parameters, for the dialect (``%(name)s`` on psycopg)."""
    return text if dialect.placeholder == "?" else _NAMED.sub(r"%(\1)s", text)


@dataclass(frozen=True)
class WriteStatements:
    """The statements of :class:`SqlWrites` in one dialect."""

    claim_runs: str
    claim_events: str
    claimed_messages: str
    contacts: str
    known_contacts: str
    run_stats: str
    marks: str
    insert_run: str
    run_seqs: str
    update_run: str
    insert_step: str
    update_contact: str
    update_message: str
    message_status: str
    mark_message_runs: str
    update_facts: str
    events_done: str
    events_again: str
    release_runs: str
    runs_by_id: str
    runs_of_contacts: str
    runs_of_contacts_in: str
    steps: str
    release_leases: tuple[tuple[str, str], ...]
    delete_schedules: str
    upsert_schedule: str


@cache
def write_statements(dialect: Dialect, name: str, status_param: str) -> WriteStatements:
    """The statements for ``dialect`` (whose named queries are under ``sql/<name>/queries``);
    ``status_param`` is the placeholder of a message's second status (PostgreSQL wants a type)."""
    d = dialect
    ids, texts = d.in_ids, d.in_texts
    fragments = {
        "LIVE": LIVE,
        "QUEUED": QUEUED,
        "HOLDS": HOLDS,
        "RUN_COLS": codec.RUN_COLS,
        "EVENT_COLS": codec.EVENT_COLS,
    }
    recent = f"created_at > ? AND {d.not_branch()}"  # a branch run is no enrolment: no rate cap
    return WriteStatements(
        claim_runs=sqlfiles.query(name, "claim_runs", **fragments),
        claim_events=sqlfiles.query(name, "claim_events", **fragments),
        claimed_messages=f"SELECT {codec.MESSAGE_COLS}, r.status, r.version "
        f"FROM {codec.MESSAGE_FROM} LEFT JOIN runs r ON r.id = m.run_id WHERE m.id {ids}",
        contacts=f"SELECT {codec.CONTACT_COLS} FROM contacts WHERE id {texts}",
        known_contacts=f"SELECT id FROM contacts WHERE id {texts}",
        run_stats=d.sql(
            f"SELECT contact_id, workflow_key, count(*), {d.count_if.format('status IN ' + OPEN)}, "
            f"max(created_at), {d.count_if.format(recent)} FROM runs "
            f"WHERE contact_id {texts} AND workflow_key {texts} "
            "GROUP BY contact_id, workflow_key"
        ),
        marks="SELECT contact_id, workflow_key, runs, last_created_at FROM enrollment_marks "
        f"WHERE contact_id {texts} AND workflow_key {texts}",
        insert_run=d.sql(
            "INSERT INTO runs (id, workflow_key, version, contact_id, node, status, wake_at, "
            "context, step_seq, attempt, seq, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'active', ?, ?, 0, 0, 0, ?, ?)"
        ),
        run_seqs=f"SELECT id, seq FROM runs WHERE id {ids}",
        update_run=d.sql(UPDATE_RUN),
        insert_step=d.sql(INSERT_STEP),
        update_contact=d.sql(UPDATE_CONTACT),
        update_message=d.sql(update_message_sql(status_param)),
        message_status=f"SELECT id, status FROM messages WHERE id {ids}",
        # the funnel summary's marks (migration 0250): the runs of messages whose status or
        # facts changed, one statement per batch instead of a trigger per row
        mark_message_runs=("INSERT OR IGNORE" if d.json_lists else "INSERT")
        + " INTO funnel_dirty (run_id) SELECT DISTINCT run_id FROM messages "
        f"WHERE id {ids} AND run_id IS NOT NULL",
        update_facts=d.sql(UPDATE_FACTS),
        events_done=d.sql(
            "UPDATE events SET processed_at = ?, lease_owner = NULL, lease_until = NULL "
            f"WHERE id {ids} AND processed_at IS NULL"
        ),
        events_again="UPDATE events SET lease_owner = NULL, lease_until = NULL "
        f"WHERE id {ids} AND processed_at IS NULL",
        release_runs=d.sql(
            f"UPDATE runs SET lease_owner = NULL, lease_until = NULL WHERE id {ids} "
            "AND lease_owner = ?"
        ),
        runs_by_id=f"SELECT {codec.RUN_COLS} FROM runs WHERE id {ids}",
        runs_of_contacts=f"SELECT {codec.RUN_COLS} FROM runs WHERE contact_id {texts}",
        runs_of_contacts_in=f"SELECT {codec.RUN_COLS} FROM runs WHERE contact_id {texts} "
        f"AND status {texts}",
        steps=d.sql(f"SELECT {codec.STEP_COLS} FROM steps WHERE id > ? ORDER BY id LIMIT ?"),
        release_leases=tuple(
            (
                table,
                f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL "
                f"WHERE lease_owner {texts} AND {live}",
            )
            for table, live in LEASED_TABLES
        ),
        delete_schedules=d.sql("DELETE FROM schedules WHERE tenant_id = ? AND workflow_key = ?"),
        upsert_schedule=d.sql(
            "INSERT INTO schedules (tenant_id, workflow_key, version, trigger_index, cron, "
            "timezone, next_fire_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (tenant_id, workflow_key, trigger_index) DO UPDATE SET "
            "version = excluded.version, cron = excluded.cron, "
            "timezone = excluded.timezone, next_fire_at = excluded.next_fire_at"
        ),
    )


__all__ = ["WriteStatements", "named", "write_statements"]
