"""Builders and constants shared by the contract tests (a uniquely named module, imported from
the test directory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lf_postgres import DATABASES, ENABLED, in_ci

from leadflow.store import Store, open_store, sqlfiles
from leadflow.store.records import (
    Advance,
    Contact,
    EnrollRequest,
    Message,
    NewEvent,
    Run,
    Step,
)

T0 = 1_700_000_000.0
DAY = 86400.0
BACKENDS = ["memory", "sqlite", *(["postgres"] if ENABLED else [])]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"  # path is absolute, so this is sqlite:////abs/path


def require_postgres() -> None:
    """Fail (under CI) or skip (elsewhere) the calling test when PostgreSQL is unreachable."""
    if DATABASES.available():
        return
    message = f"PostgreSQL is not reachable: {DATABASES.problem}"
    if in_ci():
        pytest.fail(f"{message} (CI is set: the PostgreSQL backend must be tested)")
    pytest.skip(message)


def usable_backends() -> list[str]:
    """BACKENDS less postgres when it cannot be reached outside CI (fails under CI)."""
    if "postgres" in BACKENDS and not DATABASES.available():
        if in_ci():
            require_postgres()
        return [b for b in BACKENDS if b != "postgres"]
    return list(BACKENDS)


def make_store(backend: str, tmp_path: Path) -> Store:
    """A store at the latest schema version (postgres: in its own database, cloned from the
    session's migrated template; drop it with :func:`drop_store`)."""
    if backend == "memory":
        return open_store("memory://")
    if backend == "postgres":
        require_postgres()
        return open_store(DATABASES.clone())
    url = sqlite_url(tmp_path / "leadflow.db")
    fresh = open_store(url, check_schema=False)
    fresh.upgrade()
    fresh.close()
    return open_store(url)


def drop_store(backend: str, store: Store) -> None:
    """Close the store; for postgres drop its database too."""
    store.close()
    if backend == "postgres":
        DATABASES.drop(store.url)


def contact(cid: str, **kw: Any) -> Contact:
    kw.setdefault("first_name", cid.title())
    kw.setdefault("phone", "+15550000000")
    kw.setdefault("email", f"{cid}@example.com")
    return Contact(cid, **kw)


def add_contacts(store: Store, *ids: str, now: float = T0) -> None:
    store.upsert_contacts([contact(i) for i in ids], now)


def enroll_one(
    store: Store,
    cid: str,
    key: str = "wf",
    *,
    now: float = T0,
    version: int = 1,
    node: str = "start",
    reentry: str = "always",
    context: dict[str, Any] | None = None,
) -> Run:
    out = store.enroll(
        [EnrollRequest(key, version, cid, node, context or {}, reentry=reentry)], now
    )
    assert out.created == 1, out
    run = store.get_run(out.run_ids[0])
    assert run is not None
    return run


def advance(run: Run, **kw: Any) -> Advance:
    """An advance of ``run`` as read (its seq), waiting at ``node`` by default."""
    kw.setdefault("node", run.node)
    kw.setdefault("status", "waiting")
    kw.setdefault("wake_at", (run.wake_at or T0) + 3600)
    kw.setdefault("context", dict(run.context))
    kw.setdefault("step_seq", run.step_seq + 1)
    return Advance(run_id=run.id, seq=run.seq, **kw)


def step(run: Run, node: str = "start", *, at: float = T0, **kw: Any) -> Step:
    kw.setdefault("kind", "send_sms")
    kw.setdefault("step_seq", run.step_seq + 1)
    kw.setdefault("attempt", 0)
    kw.setdefault("outcome", "ok")
    return Step(run.id, node, started_at=at, **kw)


def message(
    run: Run | None,
    key: str,
    *,
    contact_id: str | None = None,
    channel: str = "sms",
    due_at: float = T0,
    node: str | None = "start",
    **kw: Any,
) -> Message:
    return Message(
        run_id=None if run is None else run.id,
        contact_id=contact_id if run is None else run.contact_id,
        workflow_key=None if run is None else run.workflow_key,
        node=node,
        channel=channel,
        to="+15550000000",
        idempotency_key=key,
        due_at=due_at,
        created_at=T0,
        **{"body": "hello", **kw},
    )


def event(etype: str, contact_id: str | None, key: str, *, at: float = T0, **data: Any) -> NewEvent:
    return NewEvent(etype, contact_id, dict(data), key, at)


def later_tables(dialect: str, version: int) -> tuple[list[str], list[str]]:
    """The CREATE TABLE and ALTER TABLE ... ADD COLUMN statements of the migrations after
    ``version``, and the DROP TABLE / DROP COLUMN statements that undo them. Today's code reads
    those tables and columns, so a test that writes data into a database kept at ``version``
    creates them for the writes and drops them after: the database is then as ``version`` left
    it, with data in it."""
    creates: list[str] = []
    drops: list[str] = []
    for migration in sqlfiles.migrations(dialect)[version:]:
        for statement in migration.statements():
            if statement.startswith("CREATE TABLE "):
                creates.append(statement)
                drops.insert(0, f"DROP TABLE {statement.split()[2]}")
            elif statement.startswith("ALTER TABLE ") and " ADD COLUMN " in statement:
                words = statement.split()
                creates.append(statement)
                drops.insert(0, f"ALTER TABLE {words[2]} DROP COLUMN {words[5]}")
    return creates, drops
