"""Per-key rate limits: a key over its budget gets 429 with Retry-After, other keys go on,
and the budget comes back as the (injected) clock moves."""

from __future__ import annotations

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, assert_problem


def test_a_key_over_its_budget_waits_and_others_do_not(db_url: str) -> None:
    first, second = admin_key(db_url), admin_key(db_url)
    clock = VirtualClock(1_800_000_000.0)
    settings = Settings(db=db_url, rate_limit_per_minute=3)
    runtime = build_runtime(settings, clock=clock)
    app = create_app(runtime=runtime)
    try:
        with ApiClient(app, headers={"Authorization": f"Bearer {first}"}) as one:
            for _ in range(3):
                assert one.get("/api/v1/workflows").status_code == 200
            refused = one.get("/api/v1/workflows")
            problem = assert_problem(refused, 429)
            assert problem["type"] == "urn:leadflow:problem:rate-limited"
            assert refused.headers["retry-after"] == "20"  # 3 a minute: one every 20 s
            other = one.get("/api/v1/workflows", headers={"Authorization": f"Bearer {second}"})
            assert other.status_code == 200
            clock.set(clock.now() + 19)
            assert_problem(one.get("/api/v1/workflows"), 429)
            clock.set(clock.now() + 1)
            assert one.get("/api/v1/workflows").status_code == 200
            assert one.get("/healthz").status_code == 200  # health is never limited
    finally:
        runtime.close()


def test_zero_turns_the_limit_off(db_url: str) -> None:
    app = create_app(Settings(db=db_url, rate_limit_per_minute=0))
    with ApiClient(app, headers={"Authorization": f"Bearer {admin_key(db_url)}"}) as c:
        assert all(c.get("/api/v1/workflows").status_code == 200 for _ in range(50))
