"""Wake-ups: ``wait_for_work`` times out when nothing happens and returns early when new work is
written (PostgreSQL: by any store object, through LISTEN/NOTIFY; memory and SQLite: through the
same store object), and an idle worker picks new work up promptly and still stops promptly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from leadflow.clock import RealClock
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from leadflow.store import Store, open_store
from support.records import T0, add_contacts, enroll_one, event


@contextmanager
def writer(store: Store, backend: str) -> Iterator[Store]:
    """The store object that writes: another one (its own pool) on PostgreSQL, where every
    writer notifies; the same one on memory/SQLite, which only see their own writes."""
    if backend != "postgres":
        yield store
        return
    other = open_store(store.url)
    try:
        yield other
    finally:
        other.close()


def later(delay: float, action: Callable[[], object]) -> threading.Thread:
    def go() -> None:
        time.sleep(delay)
        action()

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


def test_wait_for_work_times_out_when_nothing_happens(store: Store) -> None:
    store.wait_for_work(0.01)  # PostgreSQL: opens the LISTEN connection
    started = time.monotonic()
    assert store.wait_for_work(0.05) is False
    took = time.monotonic() - started
    assert 0.04 <= took < 1.0
    assert store.wait_for_work(0) is False


def test_append_events_wakes_a_waiter(store: Store, backend: str) -> None:
    store.wait_for_work(0.01)  # PostgreSQL: LISTEN before the write is made
    with writer(store, backend) as w:
        thread = later(0.05, lambda: w.append_events([event("t", None, "k1")], T0))
        started = time.monotonic()
        woken = store.wait_for_work(5)
        took = time.monotonic() - started
        thread.join(5)
    assert woken is True
    assert took < 1.0
    # the notification was used up: the next wait times out
    assert store.wait_for_work(0.05) is False


def test_enroll_wakes_a_waiter(store: Store, backend: str) -> None:
    add_contacts(store, "c1")
    store.wait_for_work(0.01)
    with writer(store, backend) as w:
        thread = later(0.05, lambda: enroll_one(w, "c1"))
        started = time.monotonic()
        woken = store.wait_for_work(5)
        took = time.monotonic() - started
        thread.join(5)
    assert woken is True
    assert took < 1.0


def test_a_duplicate_event_wakes_nobody(store: Store) -> None:
    store.append_events([event("t", None, "k1")], T0)
    store.wait_for_work(0.01)  # use up the wake-up of the first write
    while store.wait_for_work(0.01):
        pass
    assert store.append_events([event("t", None, "k1")], T0) == [None]
    assert store.wait_for_work(0.05) is False


def test_wait_for_work_after_close_raises_or_times_out(backend: str, store: Store) -> None:
    if backend != "postgres":
        pytest.skip("only PostgreSQL holds a LISTEN connection")
    store.wait_for_work(0.01)
    store.close()  # closes the LISTEN connection too (drop_store closes again: harmless)
    from leadflow.errors import StoreError

    with pytest.raises(StoreError):
        store.wait_for_work(0.01)


def test_a_lost_listen_connection_degrades_to_polling_then_recovers(
    store: Store, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    if backend != "postgres":
        pytest.skip("only PostgreSQL holds a LISTEN connection")
    import psycopg

    from leadflow.store.postgres import PostgresStore

    assert isinstance(store, PostgresStore)
    store.wait_for_work(0.01)
    with psycopg.connect(store.url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query LIKE 'LISTEN%%'"
        )
    started = time.monotonic()
    assert store.wait_for_work(0.1) is False  # the broken connection: no error, a plain wait
    assert time.monotonic() - started < 1.5
    assert "LISTEN" in caplog.text
    store._listen_skips = 0  # skip the back-off
    store.wait_for_work(0.01)  # reconnects and listens again
    with writer(store, backend) as w:
        thread = later(0.05, lambda: w.append_events([event("t", None, "k1")], T0))
        assert store.wait_for_work(5) is True
        thread.join(5)


# ---------------------------------------------------------------------------- the worker
def test_idle_worker_picks_up_new_work_promptly_and_stops_promptly(
    store: Store, backend: str
) -> None:
    runtime = build_runtime(
        Settings(db=store.url, poll_s=5), store=store, clock=RealClock(), seed=1
    )
    worker = runtime.worker("w1")
    stop = threading.Event()
    thread = threading.Thread(target=lambda: worker.run(stop=stop), daemon=True)
    thread.start()
    try:
        # let the worker go idle (its first ticks find nothing)
        deadline = time.monotonic() + 5
        while worker.stats.ticks < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        assert worker.stats.events == 0
        with writer(store, backend) as w:
            started = time.monotonic()
            w.append_events([event("t", None, "k1", x=1)], time.time() - 1)
            while worker.stats.events < 1 and time.monotonic() - started < 4:
                time.sleep(0.005)
            took = time.monotonic() - started
        assert worker.stats.events == 1, "the idle worker did not pick the event up"
        assert took < 1.5, f"took {took:.3f} s with poll_s=5"
        time.sleep(0.2)  # idle again
    finally:
        stopping = time.monotonic()
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - stopping < 1.5
