"""Migration 17 (workflow keys per tenant) on a database at version 15 with data in it, SQLite
and PostgreSQL: the upgrade keeps every workflow, version, schedule and run; the engine still
serves them (a waiting run goes on to its next node); and from then on another tenant can publish
a key the first one has, each numbering its own versions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadflow.model.records import EnrollRequest, RunFilter, Scope
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store import sqlfiles
from leadflow.store.postgres import PostgresStore
from leadflow.store.sqlite import SQLiteStore
from support.postgres import ENABLED, postgres_database
from support.records import T0, contact
from support.stores import sqlite_url

DAY = 86400.0


def _welcome(body: str) -> dict[str, Any]:
    return {
        "key": "welcome",
        "name": "Welcome",
        "start": "hello",
        "nodes": [
            {"id": "hello", "kind": "send_email", "subject": "Hi", "body": body, "next": "pause"},
            {"id": "pause", "kind": "wait", "duration": "1d", "next": "bye"},
            {"id": "bye", "kind": "send_email", "subject": "Bye", "body": f"bye {body}"},
        ],
    }


@pytest.fixture(params=["sqlite", *(["postgres"] if ENABLED else [])])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "v15.db")
        return
    with postgres_database(empty=True) as url:
        yield url


def _at_15(url: str, monkeypatch: pytest.MonkeyPatch) -> SQLiteStore | PostgresStore:
    """A store whose code knows only the migrations up to 15, upgraded to 15."""
    kind = SQLiteStore if url.startswith("sqlite") else PostgresStore
    dialect = "sqlite" if kind is SQLiteStore else "postgres"
    shipped = [m for m in sqlfiles.migrations(dialect) if m.version <= 15]
    monkeypatch.setattr(kind, "_migrations", lambda self: shipped)
    store = kind(url)
    store.upgrade()
    assert store.schema_version() == 15
    return store


def test_a_version_15_database_with_data_keeps_serving_after_the_upgrade(
    old_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _at_15(old_url, monkeypatch)
    v1 = old.publish_workflow("welcome", "Welcome", _welcome("one"), T0, "acme")
    v2 = old.publish_workflow("welcome", "Welcome", _welcome("two"), T0 + 1, "acme")
    digest = old.publish_workflow("digest", "Digest", _welcome("digest") | {"key": "digest"}, T0)
    with old._write() as conn:  # as version 15 wrote a schedule: no tenant column yet
        conn.execute(
            old._dialect.sql(
                "INSERT INTO schedules (workflow_key, version, trigger_index, cron, timezone, "
                "next_fire_at) VALUES (?, ?, ?, ?, ?, ?)"
            ),
            ("digest", 1, 0, "0 9 * * *", "UTC", T0 + DAY),
        )
    old.upsert_contacts([contact("a1", tenant_id="acme"), contact("d1")], T0)
    run = old.enroll([EnrollRequest("welcome", 2, "a1", "hello")], T0).run_ids[0]
    old.close()
    monkeypatch.undo()

    kind = SQLiteStore if old_url.startswith("sqlite") else PostgresStore
    store = kind(old_url)
    dialect = "sqlite" if kind is SQLiteStore else "postgres"
    assert store.upgrade() == [m.version for m in sqlfiles.migrations(dialect) if m.version > 15]
    store.check_schema()
    assert store.get_workflow("acme", "welcome") == v2
    assert store.get_workflow("acme", "welcome", 1) == v1
    assert store.get_workflow("default", "digest") == digest
    assert store.get_workflow("default", "welcome") is None
    [schedule] = store.due_schedules(T0 + DAY)
    assert (schedule.tenant_id, schedule.workflow_key, schedule.version) == ("default", "digest", 1)
    assert store.count_runs("welcome", Scope("acme")) == {"active": 1}
    store.close()

    # The engine still serves acme's workflow and run: it runs to the wait, then on.
    rt = build_runtime(Settings(db=old_url))
    try:
        worker = rt.worker("after-upgrade")
        for moment in (T0 + 60, T0 + 2 * DAY):
            while worker.tick(moment):
                pass
        done = rt.store.get_run(run)
        assert done is not None and (done.status, done.version) == ("completed", 2)
        bodies = [m.body for m in rt.store.messages_of_run(run)]
        assert bodies == ["two", "bye two"]
        # and now another tenant may publish the same key, numbered on its own
        mine = rt.store.publish_workflow("welcome", "Mine", _welcome("mine"), T0 + 3, "rival")
        assert (mine.tenant_id, mine.version) == ("rival", 1)
        again = rt.store.publish_workflow("welcome", "Welcome", _welcome("three"), T0 + 4, "acme")
        assert (again.tenant_id, again.version) == ("acme", 3)
        assert [r.id for r in rt.store.list_runs(RunFilter(workflow_key="welcome"))] == [run]
    finally:
        rt.close()
