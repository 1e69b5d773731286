"""Record builders and constants of the store tests: contacts, runs, advances, steps, messages,
events, and the tables later migrations add."""

from __future__ import annotations

from typing import Any

from leadflow.model.records import (
    Advance,
    Contact,
    EnrollRequest,
    Message,
    NewEvent,
    Run,
    Step,
)
from leadflow.store import Store, sqlfiles

T0 = 1_700_000_000.0
DAY = 86400.0


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
