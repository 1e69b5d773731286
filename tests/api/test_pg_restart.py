"""PostgreSQL connections the server kills (``pg_terminate_backend``, a restart, a failover)
cost clients nothing but a short wait: the pool checks a connection on checkout and replaces a
dead one, so no request after the kill is a 5xx, and a worker's next pass goes on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from leadflow.api.app import create_app
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key
from support.postgres import ADMIN_URL, DATABASES, ENABLED, require_postgres

pytestmark = [
    pytest.mark.skipif(not ENABLED, reason="LEADFLOW_TEST_POSTGRES=0"),
]
POOL_SIZE = 8  # PostgresStore's default max_size


def _kill_backends(dbname: str) -> int:
    """Terminate every server process connected to ``dbname``, as an admin would."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (dbname,),
        ).fetchall()
    return sum(1 for (done,) in rows if done)


def test_killed_pool_connections_cost_no_request_a_5xx() -> None:
    require_postgres()
    url = DATABASES.clone()
    dbname = url.rsplit("/", 1)[-1]
    try:
        token = admin_key(url)
        runtime = build_runtime(Settings(db=url, rate_limit_per_minute=0))
        app = create_app(runtime=runtime)
        try:
            with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as client:

                def call(_: int) -> int:
                    return client.get("/api/v1/contacts").status_code

                with ThreadPoolExecutor(POOL_SIZE) as pool:  # the pool opens several connections
                    assert set(pool.map(call, range(4 * POOL_SIZE))) == {200}
                assert _kill_backends(dbname) >= 2
                statuses = [call(i) for i in range(POOL_SIZE + 4)]
                assert statuses == [200] * (POOL_SIZE + 4)
                assert _kill_backends(dbname) >= 1
                with ThreadPoolExecutor(4) as pool:
                    assert set(pool.map(call, range(2 * POOL_SIZE))) == {200}
                # the worker survives it too
                assert _kill_backends(dbname) >= 1
                worker = runtime.worker("after-kill")
                worker.tick(runtime.clock.now())
                assert client.get("/readyz").status_code == 200
        finally:
            runtime.close()
    finally:
        DATABASES.drop(url)
