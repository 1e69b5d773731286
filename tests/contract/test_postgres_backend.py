"""PostgreSQL-only checks: migrations on empty databases, many pools at once, error wrapping.

Every behavioural contract test runs on PostgreSQL through the ``store`` fixture; this file holds
what only this backend has (several stores on one database stand for several machines).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.errors import SchemaOutOfDate, StoreError
from leadflow.model.records import MessageFilter
from leadflow.store import open_store, sqlfiles
from support.postgres import ENABLED, postgres_database
from support.records import (
    T0,
    add_contacts,
    advance,
    enroll_one,
    event,
    later_tables,
    message,
    step,
)
from support.threads import at_once
from support.upgrade_data import everything, write_some_of_everything

psycopg = pytest.importorskip("psycopg")
if not ENABLED:  # pragma: no cover - LEADFLOW_TEST_POSTGRES=0
    pytest.skip("PostgreSQL turned off (LEADFLOW_TEST_POSTGRES=0)", allow_module_level=True)

from leadflow.store.postgres import PostgresStore  # noqa: E402

LATEST = sqlfiles.latest_version("postgres")


@pytest.fixture
def empty_url() -> Iterator[str]:
    """A new, empty database (schema version 0), dropped after the test."""
    with postgres_database(empty=True) as url:
        yield url


@pytest.fixture
def db_url() -> Iterator[str]:
    """A new database at the latest schema version, dropped after the test."""
    with postgres_database() as url:
        yield url


def _sql(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(sql, params)
        return cur.fetchall() if cur.description else []


# ---------------------------------------------------------------------------- URLs and errors
def test_both_url_schemes_open_a_postgres_store(db_url: str) -> None:
    for url in (db_url, "postgres://" + db_url.split("://", 1)[1]):
        s = open_store(url)
        assert isinstance(s, PostgresStore)
        assert s.schema_version() == s.latest_schema_version()
        s.close()


def test_password_never_appears_in_errors_or_url() -> None:
    # port 1 refuses at once: no server is needed for this test
    with pytest.raises(StoreError) as info:
        open_store("postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere")
    assert "s3cret-pw" not in info.value.message
    assert "someone:***@127.0.0.1:1" in info.value.message
    assert isinstance(info.value.__cause__, psycopg.Error)


def test_errors_are_wrapped_with_cause(db_url: str) -> None:
    s = PostgresStore(db_url)
    with pytest.raises(StoreError) as info, s._write() as conn:
        conn.execute("SELECT * FROM no_such_table")
    assert isinstance(info.value.__cause__, psycopg.Error)
    assert "no_such_table" in info.value.message
    s.close()
    s.close()  # twice is fine
    with pytest.raises(StoreError):
        s.schema_version()


def test_migrations_mirror_sqlite() -> None:
    pg, lite = sqlfiles.migrations("postgres"), sqlfiles.migrations("sqlite")
    assert [m.name for m in pg] == [m.name for m in lite]
    assert sqlfiles.latest_version("postgres") == sqlfiles.latest_version("sqlite") == LATEST


# ---------------------------------------------------------------------------- migrations
def test_fresh_database_is_version_zero_and_refused(empty_url: str) -> None:
    raw = PostgresStore(empty_url)  # opening never upgrades
    assert raw.schema_version() == 0
    raw.close()
    with pytest.raises(SchemaOutOfDate) as info:
        open_store(empty_url)
    assert "leadflow db upgrade" in info.value.message and "empty" in info.value.message
    raw = PostgresStore(empty_url)
    assert raw.schema_version() == 0  # refusing changed nothing
    assert raw.upgrade() == [m.version for m in sqlfiles.migrations("postgres")]
    assert raw.upgrade() == []
    raw.close()
    opened = open_store(empty_url)
    assert opened.schema_version() == opened.latest_schema_version() == LATEST
    opened.close()


def _with_extra_migration(monkeypatch: pytest.MonkeyPatch, sql: str) -> int:
    shipped = sqlfiles.migrations("postgres")
    version = shipped[-1].version + 1
    extra = sqlfiles.Migration(version, f"{version:04d}_test.sql", sql)
    monkeypatch.setattr(PostgresStore, "_migrations", lambda self: [*shipped, extra])
    return version


def test_failing_migration_changes_nothing(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    s = PostgresStore(empty_url)
    s.upgrade()
    current = s.schema_version()
    _with_extra_migration(
        monkeypatch, "CREATE TABLE half_done (x BIGINT);\nINSERT INTO no_such_table VALUES (1);\n"
    )
    with pytest.raises(StoreError) as info:
        s.upgrade()
    assert info.value.__cause__ is not None
    assert s.schema_version() == current
    s.close()
    assert _sql(empty_url, "SELECT to_regclass('half_done')") == [(None,)]


def test_newer_database_is_refused(db_url: str) -> None:
    _sql(db_url, "INSERT INTO schema_migrations (version, applied_at) VALUES (999, %s)", (T0,))
    s = PostgresStore(db_url)
    with pytest.raises(SchemaOutOfDate) as info:
        s.check_schema()
    assert "newer" in info.value.message
    s.close()


def test_version_1_database_upgrades_to_2_keeping_data(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = sqlfiles.migrations("postgres")
    monkeypatch.setattr(PostgresStore, "_migrations", lambda self: shipped[:1])
    old = PostgresStore(empty_url)
    assert old.upgrade() == [1] and old.schema_version() == 1
    creates, drops = later_tables("postgres", 1)
    for statement in creates:
        _sql(empty_url, statement)
    write_some_of_everything(old)
    before = everything(old)  # read while the later tables and columns are there
    for statement in drops:
        _sql(empty_url, statement)
    old.close()

    monkeypatch.setattr(PostgresStore, "_migrations", lambda self: shipped[:2])
    s = PostgresStore(empty_url)
    assert s.schema_version() == 1
    with pytest.raises(SchemaOutOfDate):
        s.check_schema()
    assert s.upgrade() == [2]
    assert s.schema_version() == 2 == s.latest_schema_version()
    s.check_schema()
    for statement in creates:  # today's code reads the later tables and columns
        _sql(empty_url, statement)
    assert everything(s) == before
    indexes = {r[0] for r in _sql(empty_url, "SELECT indexname FROM pg_indexes")}
    assert {"runs_workflow", "events_due", "runs_due", "messages_due"} <= indexes
    assert s.sent_counts_since(["c1", "c2"], T0) == {"c1": 1, "c2": 0}
    assert s.count_runs("wf") == {"waiting": 1}
    assert s.upgrade() == []
    s.close()


def test_two_upgraders_at_once_apply_each_migration_once(empty_url: str) -> None:
    stores = [PostgresStore(empty_url), PostgresStore(empty_url)]
    results: list[list[int]] = [[], []]

    def work(i: int) -> None:
        results[i] = stores[i].upgrade()

    assert at_once(work, 2) == []
    assert sorted(results[0] + results[1]) == [m.version for m in sqlfiles.migrations("postgres")]
    for s in stores:
        assert s.schema_version() == LATEST
        s.close()


# ---------------------------------------------------------------------------- many machines
def test_two_pools_claiming_concurrently_never_get_the_same_run(db_url: str) -> None:
    """Two stores (two pools: two machines) and four threads: SKIP LOCKED hands each run out
    once, and every run is claimed."""
    stores = [open_store(db_url), open_store(db_url)]
    try:
        add_contacts(stores[0], *(f"t{i:03d}" for i in range(400)))
        stores[0].enroll_all("wf", 1, "start", T0, reentry="always")
        workers = 4
        claimed: list[list[int]] = [[] for _ in range(workers)]

        def work(i: int) -> None:
            s = stores[i % 2]
            while batch := s.claim_runs(f"w{i}", T0, 7, 300):
                claimed[i] += [c.run.id for c in batch]
                res = s.commit_advances(f"w{i}", [advance(c.run) for c in batch], T0)
                assert res.conflicts == 0

        assert at_once(work, workers) == []
        every = [rid for ids in claimed for rid in ids]
        assert len(every) == len(set(every)) == 400
        assert sum(1 for ids in claimed if ids) >= 2  # the work was shared
        assert stores[1].count_runs() == {"waiting": 400}
    finally:
        for s in stores:
            s.close()


def test_concurrent_seq_guard_across_pools(db_url: str) -> None:
    """The same advance committed from two machines at once: exactly one applies."""
    stores = [open_store(db_url), open_store(db_url)]
    try:
        add_contacts(stores[0], "a")
        run = enroll_one(stores[0], "a")
        applied: list[int] = [0, 0]

        def work(i: int) -> None:
            res = stores[i].commit_advances(f"w{i}", [advance(run, steps=[step(run)])], T0)
            applied[i] = res.applied

        assert at_once(work, 2) == []
        assert sorted(applied) == [0, 1]
        after = stores[0].get_run(run.id)
        assert after is not None and after.seq == run.seq + 1
        assert len(stores[0].run_steps(run.id)) == 1
    finally:
        for s in stores:
            s.close()


def test_concurrent_duplicate_messages_and_events_dedupe(db_url: str) -> None:
    """Two machines writing the same idempotency / dedupe keys at once: one row each, and both
    callers' records carry the id of the row that has the key."""
    stores = [open_store(db_url), open_store(db_url)]
    try:
        add_contacts(stores[0], "a", "b")
        runs = [enroll_one(stores[0], "a"), enroll_one(stores[0], "b")]
        msgs = [message(runs[i], "same-key") for i in range(2)]
        ev_ids: list[list[int | None]] = [[], []]

        def work(i: int) -> None:
            stores[i].commit_advances(f"w{i}", [advance(runs[i], messages=[msgs[i]])], T0)
            ev_ids[i] = stores[i].append_events([event("x", "a", "same-ev")], T0)

        assert at_once(work, 2) == []
        assert msgs[0].id is not None and msgs[0].id == msgs[1].id
        assert len(stores[0].list_messages(MessageFilter())) == 1
        assert sorted(ev_ids, key=lambda ids: ids[0] is None)[1] == [None]
        assert len(stores[0].list_events()) == 1
    finally:
        for s in stores:
            s.close()
