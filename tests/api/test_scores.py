"""``GET /api/v1/contacts/{id}/score``: the score computed at the app's clock, with factors
that sum to it; another tenant's key gets 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadflow.api.app import create_app
from leadflow.clock import VirtualClock
from leadflow.runtime import Runtime, build_runtime
from leadflow.scoring.config import make_config, save_config
from leadflow.settings import Settings
from support.api_client import ApiClient, admin_key, assert_problem

T0 = 1_750_000_000.0
DAY = 86400.0


@pytest.fixture
def rt(db_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(Settings(db=db_url), clock=VirtualClock(T0))
    yield runtime
    runtime.close()


@pytest.fixture
def acme(rt: Runtime, db_url: str) -> Iterator[ApiClient]:
    token = admin_key(db_url, "acme")
    with ApiClient(create_app(runtime=rt), headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def _lead_with_saves(acme: ApiClient, rt: Runtime, saves: int) -> str:
    made = acme.post(
        "/api/v1/contacts",
        json={"first_name": "Ann", "email": "ann@example.com", "fields": {"budget": 450000}},
    )
    assert made.status_code == 201, made.text
    cid: str = made.json()["id"]
    for i in range(saves):
        sent = acme.post(
            "/api/v1/events",
            json={"type": "listing.saved", "contact_id": cid, "data": {"ListingKey": f"L{i}"}},
        )
        assert sent.status_code in (200, 201, 202), sent.text
    worker = rt.worker("api-test")
    while worker.tick(rt.clock.now()):
        pass
    return cid


def test_the_score_comes_with_factors_that_sum_to_it(acme: ApiClient, rt: Runtime) -> None:
    cid = _lead_with_saves(acme, rt, 3)
    got = acme.get(f"/api/v1/contacts/{cid}/score")
    assert got.status_code == 200, got.text
    body = got.json()
    # 3 saves x 8 x 0.4 = 9.6; a stated budget: 25 x 0.3 = 7.5
    assert body["score"] == pytest.approx(17.1)
    assert body["band"] == "cold"
    assert body["weights"] == {"behavioural": 0.4, "demographic": 0.3, "engagement": 0.3}
    assert sum(f["points"] for f in body["factors"]) == pytest.approx(body["score"], abs=0.05)
    saved = next(f for f in body["factors"] if f["factor"] == "listings_saved")
    assert saved == {
        "factor": "listings_saved",
        "component": "behavioural",
        "value": 3.0,
        "points": 9.6,
    }
    # The stored score on the contact matches what the worker computed.
    contact = acme.get(f"/api/v1/contacts/{cid}").json()
    assert contact["fields"]["score"] == pytest.approx(17.1)


def test_the_score_is_computed_at_the_clock_and_with_the_tenants_weights(
    acme: ApiClient, rt: Runtime
) -> None:
    cid = _lead_with_saves(acme, rt, 4)
    rt.clock.set(T0 + 30 * DAY)  # type: ignore[attr-defined]
    body = acme.get(f"/api/v1/contacts/{cid}/score").json()
    saved = next(f for f in body["factors"] if f["factor"] == "listings_saved")
    assert saved["value"] == pytest.approx(2.0)  # four saves a half-life ago count two
    save_config(rt.store, "acme", make_config(weights={"behavioural": 1}))
    body = acme.get(f"/api/v1/contacts/{cid}/score").json()
    assert body["score"] == pytest.approx(16.0)
    assert body["weights"]["behavioural"] == 1.0


def test_another_tenant_gets_404(acme: ApiClient, rt: Runtime, db_url: str) -> None:
    cid = _lead_with_saves(acme, rt, 1)
    token = admin_key(db_url, "other")
    with ApiClient(create_app(runtime=rt), headers={"Authorization": f"Bearer {token}"}) as other:
        response = other.get(f"/api/v1/contacts/{cid}/score")
        assert_problem(response, 404)
        assert "Ann" not in response.text
    assert_problem(acme.get("/api/v1/contacts/nobody/score"), 404)
