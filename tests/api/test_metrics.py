"""``/metrics``: Prometheus text with request counts by route template and store gauges."""

from __future__ import annotations

import re

from fastapi import FastAPI

from leadflow.api.app import create_app
from leadflow.settings import Settings
from support.api_client import ApiClient


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the exposition text (labels in any order), or None."""
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:\{{(.*)\}})? (\S+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(2))
    return None


def test_requests_are_counted_by_route_template_not_raw_path(client: ApiClient) -> None:
    for key in ("alpha", "beta", "gamma"):
        client.get(f"/api/v1/workflows/{key}")
    client.get("/healthz")
    client.get("/no/such/page")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    route = "/api/v1/workflows/{key}"
    total = "leadflow_http_requests_total"
    assert sample(text, total, method="GET", route=route, status="404") == 3
    assert sample(text, total, method="GET", route="/healthz", status="200") == 1
    assert sample(text, total, method="GET", route="unmatched", status="404") == 1
    assert "alpha" not in text and "/no/such/page" not in text
    count = "leadflow_http_request_duration_seconds_count"
    assert sample(text, count, method="GET", route=route) == 3


def test_store_gauges_are_read_at_scrape_time(client: ApiClient) -> None:
    text = client.get("/metrics").text
    assert sample(text, "leadflow_store_up") == 1
    assert sample(text, "leadflow_pending_events") == 0
    assert "# TYPE leadflow_runs gauge" in text


def test_two_apps_in_one_process_keep_their_own_counts(app: FastAPI, db_url: str) -> None:
    other = create_app(Settings(db=db_url))
    with ApiClient(app) as first, ApiClient(other) as second:
        first.get("/healthz")
        first.get("/healthz")
        second.get("/healthz")
        total = "leadflow_http_requests_total"
        labels = {"method": "GET", "route": "/healthz", "status": "200"}
        assert sample(first.get("/metrics").text, total, **labels) == 2
        assert sample(second.get("/metrics").text, total, **labels) == 1
