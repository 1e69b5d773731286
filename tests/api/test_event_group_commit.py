"""Group commit of the events API: concurrent requests share one transaction, each keeps its
own outcome (ids, duplicates, NotFound), and a failed shared transaction fails no request that
succeeds alone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from leadflow.access.events import IngestRequest, Item, ingest_many
from leadflow.api.group_commit import EventCommits
from leadflow.errors import NotFound, StoreError
from leadflow.model.records import Contact, NewEvent, Scope
from leadflow.store import Store
from support.stores import drop_store, make_store

ACME = Scope("acme")
GLOBEX = Scope("globex")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = make_store(request.param, tmp_path)
    s.upsert_contacts(
        [
            Contact("a1", tenant_id="acme", first_name="A"),
            Contact("a2", tenant_id="acme", first_name="B", owner="agent"),
            Contact("g1", tenant_id="globex", first_name="G"),
        ],
        1.0,
    )
    try:
        yield s
    finally:
        drop_store(request.param, s)


def event(contact: str, key: str | None = None) -> Item:
    return ("form.submitted", contact, {"n": 1}, key, None)


def test_each_request_keeps_its_own_outcome(store: Store) -> None:
    outcomes = ingest_many(
        store,
        [
            IngestRequest(ACME, [event("a1", "k1"), event("a2")], 10.0),
            IngestRequest(ACME, [event("g1")], 11.0),  # another tenant's contact
            IngestRequest(GLOBEX, [event("g1", "k1")], 12.0),  # the same key, another tenant
            IngestRequest(ACME, [event("a1", "k1")], 13.0),  # a retry: a duplicate
            IngestRequest(Scope("acme", frozenset({"other"})), [event("a2")], 14.0),
        ],
    )
    first, refused, other_tenant, retried, not_owned = outcomes
    assert isinstance(first, list) and len(first) == 2 and None not in first
    assert isinstance(refused, NotFound) and "'g1'" in str(refused)
    assert isinstance(other_tenant, list) and other_tenant[0] is not None
    assert retried == [None]
    assert isinstance(not_owned, NotFound)
    stored = store.list_events(None, 100, 0)
    assert len(stored) == 3
    assert {e.occurred_at for e in stored} == {10.0, 12.0}


class FailingTogether:
    """A store whose append fails for more than one event at once (a shared transaction)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[int] = []

    def contacts_in_scope(self, scope: Scope, ids: Any) -> set[str]:
        return self.store.contacts_in_scope(scope, ids)

    def append_events(self, events: Sequence[NewEvent], now: float) -> list[int | None]:
        self.calls.append(len(events))
        if len(events) > 1:
            raise StoreError("the shared transaction failed")
        return self.store.append_events(events, now)


def test_a_failed_shared_transaction_is_retried_request_by_request(store: Store) -> None:
    failing = FailingTogether(store)
    outcomes = ingest_many(
        failing,  # type: ignore[arg-type]
        [
            IngestRequest(ACME, [event("a1")], 10.0),
            IngestRequest(ACME, [event("a1"), event("a2")], 10.0),  # fails alone too
            IngestRequest(ACME, [event("a2")], 10.0),
        ],
    )
    assert failing.calls == [4, 1, 2, 1]
    assert isinstance(outcomes[0], list) and isinstance(outcomes[2], list)
    assert isinstance(outcomes[1], StoreError)
    assert len(store.list_events(None, 100, 0)) == 2


class Counting:
    """A store that counts appends (transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.appends = 0

    def contacts_in_scope(self, scope: Scope, ids: Any) -> set[str]:
        return self.store.contacts_in_scope(scope, ids)

    def append_events(self, events: Sequence[NewEvent], now: float) -> list[int | None]:
        self.appends += 1
        return self.store.append_events(events, now)


def test_concurrent_requests_share_transactions(store: Store) -> None:
    counting = Counting(store)
    commits = EventCommits(counting)  # type: ignore[arg-type]

    async def many() -> list[list[int | None] | BaseException]:
        calls = [commits.ingest(ACME, [event("a1", f"k{i}")], 10.0) for i in range(50)]
        calls.append(commits.ingest(ACME, [event("g1")], 10.0))
        calls.append(commits.ingest(ACME, [event("a1", "k7")], 10.0))
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = asyncio.run(many())
    ids = [o[0] for o in outcomes[:50] if isinstance(o, list)]
    assert len(ids) == 50 and None not in ids and len(set(ids)) == 50
    assert isinstance(outcomes[50], NotFound)
    assert outcomes[51] == [None]  # k7 was stored by an earlier request
    assert counting.appends < 50  # the first alone, then the rest together
    assert len(store.list_events(None, 100, 0)) == 50


def test_a_lone_request_is_committed_at_once(store: Store) -> None:
    commits = EventCommits(store)

    async def one() -> list[int | None]:
        return await commits.ingest(ACME, [event("a1", "k")], 10.0)

    first = asyncio.run(one())
    assert first[0] is not None
    assert asyncio.run(one()) == [None]  # another event loop, the same store
