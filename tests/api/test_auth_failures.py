"""Wrong-key guessing is limited per client address: after too many failures within a minute
the address gets 429 with Retry-After -- even for a right key -- until the window passes;
the real key from another address goes on; failures are counted in the metrics. Time is the
injected clock's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, assert_problem
from support.stores import SQL_BACKENDS, database

ATTACKER = ("203.0.113.9", 51000)
OFFICE = ("198.51.100.20", 52000)
T0 = 1_800_000_000.0


@pytest.fixture(params=SQL_BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as found:
        yield found


def _metric(client: ApiClient, name: str) -> float:
    text = client.get("/metrics").text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_an_address_guessing_keys_waits_and_the_real_key_elsewhere_does_not(url: str) -> None:
    real = admin_key(url)
    clock = VirtualClock(T0)
    runtime = build_runtime(Settings(db=url, auth_failures_per_minute=5), clock=clock)
    app = create_app(runtime=runtime)
    guess = {"Authorization": "Bearer lf_abcdef_" + "0" * 43}
    try:
        with (
            ApiClient(app, client=ATTACKER) as attacker,
            ApiClient(app, headers={"Authorization": f"Bearer {real}"}, client=OFFICE) as office,
        ):
            for i in range(5):
                clock.set(T0 + i)
                assert_problem(attacker.get("/api/v1/workflows", headers=guess), 401)
            refused = attacker.get("/api/v1/workflows", headers=guess)
            problem = assert_problem(refused, 429)
            assert problem["type"] == "urn:leadflow:problem:rate-limited"
            assert (
                refused.headers["retry-after"] == "56"
            )  # the first failure (T0) ages out at T0+60
            # the right key from the guessing address waits too
            right = {"Authorization": f"Bearer {real}"}
            assert_problem(attacker.get("/api/v1/workflows", headers=right), 429)
            # the real key from another address is unaffected
            assert office.get("/api/v1/workflows").status_code == 200
            assert _metric(office, "leadflow_auth_failures_total") == 5
            assert _metric(office, "leadflow_auth_refused_total") == 2
            clock.set(T0 + 59.5)
            assert_problem(attacker.get("/api/v1/workflows", headers=right), 429)
            clock.set(T0 + 60)  # the oldest failure is a minute old: one more try is allowed
            assert attacker.get("/api/v1/workflows", headers=right).status_code == 200
    finally:
        runtime.close()


def test_a_missing_key_is_not_a_guess_and_zero_turns_the_limit_off(url: str) -> None:
    clock = VirtualClock(T0)
    runtime = build_runtime(Settings(db=url, auth_failures_per_minute=0), clock=clock)
    app = create_app(runtime=runtime)
    guess = {"Authorization": "Bearer lf_abcdef_" + "1" * 43}
    try:
        with ApiClient(app, client=ATTACKER) as attacker:
            for _ in range(30):
                assert_problem(attacker.get("/api/v1/workflows", headers=guess), 401)
    finally:
        runtime.close()
    runtime = build_runtime(Settings(db=url, auth_failures_per_minute=2), clock=clock)
    app = create_app(runtime=runtime)
    try:
        with ApiClient(app, client=ATTACKER) as attacker:
            for _ in range(10):
                assert_problem(attacker.get("/api/v1/workflows"), 401)  # no key at all
            assert_problem(attacker.get("/api/v1/workflows", headers=guess), 401)
            assert_problem(attacker.get("/api/v1/workflows", headers=guess), 401)
            assert_problem(attacker.get("/api/v1/workflows", headers=guess), 429)
    finally:
        runtime.close()
