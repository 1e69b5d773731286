"""Throwaway PostgreSQL databases for every test tier that needs PostgreSQL (the one
template-database helper of the suite).

A template database ``leadflow_tpl_<pid>`` is made once per session and migrated; each test gets
its own clone (``CREATE DATABASE leadflow_t_<pid>_<n> TEMPLATE leadflow_tpl_<pid>``), dropped
after the test, or an empty database for the migration tests. Everything made is dropped at the
end of the session.

A CREATE DATABASE takes ~0.3 s, nearly all of it waiting on fsync, and several at once cost
little more than one; so a few clones are made ahead in background threads (and drops run there
too), which keeps the per-test cost to a few milliseconds.

Settings (environment):

* ``LEADFLOW_TEST_PG_URL``: the server to use (default
  ``postgresql://postgres@127.0.0.1:5432/test``; any database the user may connect to: it is
  only used to create and drop the test databases);
* ``LEADFLOW_TEST_POSTGRES=0`` leaves the PostgreSQL backend out entirely.

When the server cannot be reached the PostgreSQL tests are skipped (with one line in the summary
saying so), except under CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

ADMIN_URL = os.environ.get("LEADFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
ENABLED = os.environ.get("LEADFLOW_TEST_POSTGRES", "1").strip().lower() not in ("0", "false", "no")


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def url_of(dbname: str) -> str:
    """ADMIN_URL pointed at another database."""
    parts = urlsplit(ADMIN_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))


class Databases:
    """Creates and drops the test databases (thread-safe; one per test session)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._pid = os.getpid()
        self._template: str | None = None
        self._made: set[str] = set()
        self._checked = False
        self.problem: str | None = None  # why PostgreSQL cannot be used, once checked
        self._workers: ThreadPoolExecutor | None = None
        self._ready: deque[Future[str]] = deque()  # clones being made or made, oldest first
        self._pending: list[Future[None]] = []  # drops under way

    AHEAD = 4  # clones made ahead of need

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def available(self) -> bool:
        with self._lock:
            if not self._checked:
                self._checked = True
                try:
                    import psycopg

                    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
                        conn.execute("SELECT 1")
                except Exception as exc:  # driver missing, server down, auth...
                    self.problem = " ".join(f"{type(exc).__name__}: {exc}".split())
            return self.problem is None

    def _template_db(self) -> str:
        with self._lock:
            if self._template is None:
                from leadflow.store.postgres import PostgresStore

                name = f"leadflow_tpl_{self._pid}"
                self._admin(f'DROP DATABASE IF EXISTS "{name}"')
                self._admin(f'CREATE DATABASE "{name}"')
                self._made.add(name)
                s = PostgresStore(url_of(name), max_size=1)
                try:
                    s.upgrade()
                finally:
                    s.close()
                self._template = name
            return self._template

    def _new_name(self) -> str:
        with self._lock:
            name = f"leadflow_t_{self._pid}_{next(self._counter)}"
            self._made.add(name)
            return name

    def _make_clone(self, template: str) -> str:
        name = self._new_name()
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._fast(name)
        return name

    def _fast(self, name: str) -> None:
        """Commits of a throwaway database need not wait for the disk (this database only)."""
        self._admin(f'ALTER DATABASE "{name}" SET synchronous_commit = off')

    def clone(self) -> str:
        """A new database at the latest schema version; its URL."""
        template = self._template_db()
        with self._lock:
            if self._workers is None:
                self._workers = ThreadPoolExecutor(self.AHEAD, thread_name_prefix="lf-pg")
            while len(self._ready) < self.AHEAD + 1:
                self._ready.append(self._workers.submit(self._make_clone, template))
            future = self._ready.popleft()
        return url_of(future.result())

    def empty(self) -> str:
        """A new, empty database (schema version 0); its URL."""
        name = self._new_name()
        self._admin(f'CREATE DATABASE "{name}"')
        self._fast(name)
        return url_of(name)

    def _drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with self._lock:
            self._made.discard(name)

    def drop(self, url: str) -> None:
        """Drop a database made here (in the background; :meth:`drop_all` waits for it)."""
        name = urlsplit(url).path.lstrip("/")
        with self._lock:
            if self._workers is not None:
                self._pending.append(self._workers.submit(self._drop, name))
                return
        self._drop(name)

    def made_any(self) -> bool:
        """Whether this session made a database (so :meth:`drop_all` has work to do)."""
        with self._lock:
            return bool(self._made) or self._template is not None

    def drop_all(self) -> None:
        with self._lock:
            workers, self._workers = self._workers, None
            ready, self._ready = list(self._ready), deque()
            pending, self._pending = self._pending, []
        for future in [*ready, *pending]:
            future.exception()  # wait; a failed drop is retried below
        if workers is not None:
            workers.shutdown(wait=True)
        with self._lock:
            made, self._made, self._template = sorted(self._made), set(), None
        for name in made:
            # clones first (a template cannot be dropped while copied from): tpl sorts last
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


DATABASES = Databases()


def require_postgres() -> None:
    """Fail (under CI) or skip (elsewhere) the calling test when PostgreSQL is unreachable."""
    if DATABASES.available():
        return
    message = f"PostgreSQL is not reachable: {DATABASES.problem}"
    if in_ci():
        pytest.fail(f"{message} (CI is set: the PostgreSQL backend must be tested)")
    pytest.skip(message)


@contextmanager
def postgres_database(*, empty: bool = False) -> Iterator[str]:
    """The URL of a new database at the latest schema version (``empty``: schema version 0),
    dropped afterwards; fails under CI or skips elsewhere when PostgreSQL is unreachable."""
    require_postgres()
    url = DATABASES.empty() if empty else DATABASES.clone()
    try:
        yield url
    finally:
        DATABASES.drop(url)  # in the background; the session's end waits for it
