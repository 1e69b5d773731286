"""Hostile input, property-based, on every route of the app (the ones left out of the OpenAPI
document too), on SQLite and PostgreSQL: lone surrogates, NUL characters, huge strings,
right-to-left and zero-width marks, emoji, huge, negative and non-finite numbers and numbers
spelled as text, in the path, the query and the body. Whatever the request, the answer is never
a 5xx, and a refusal is a problem document.

This complements ``test_schemathesis.py``, whose generators stay inside (or just outside) the
documented schema and never send a lone surrogate, a NUL or ``NaN``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.api.app import create_app
from leadflow.engine.workflows import publish
from leadflow.model.records import Contact
from leadflow.runtime import build_runtime
from leadflow.settings import Settings
from support.api_client import PROBLEM_JSON, ApiClient, admin_key
from support.routes import all_routes
from support.stores import SQL_BACKENDS, database

pytestmark = [pytest.mark.hostile, pytest.mark.hypothesis_heavy]

EXAMPLES_PER_ROUTE = 30
ONE_TEXT: dict[str, Any] = {
    "key": "one-text",
    "name": "One text",
    "start": "hi",
    "nodes": [{"id": "hi", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"}],
}
NASTY = [
    "\ud800",
    "a\udfffb",
    "\udbff\ud800",  # a pair in the wrong order: two lone surrogates
    "\x00",
    "x\x00y",
    "\u202egnp.exe",  # right-to-left override
    "\u200b\u200d\ufeff",  # zero-width space, joiner, BOM
    "\U0001f600\U0001f3e0",
    "\u0645\u0631\u062d\u0628\u0627",
    "",
    " ",
    "NaN",
    "-Infinity",
    "1e309",
    "-1",
    "0",
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 5000,
    "../../etc/passwd",
    "%00",
]
PLAUSIBLE = ["c1", "one-text", "1", "acme", "pause", "L1", "a@example.com", "+14155550100"]


def _texts(huge: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(st.characters(exclude_categories=()), max_size=40),  # surrogates included
        st.builds(
            lambda c, n: c * n,
            st.sampled_from(["a", "\u00e9", "\U0001f600", "\u202e", "\x00"]),
            st.integers(huge // 10, huge),
        ),
    )


texts = _texts(30_000)  # bodies
short_texts = _texts(2_000)  # paths and queries (a URL stays under 64 KiB)
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([2**63, 2**63 - 1, -(2**63) - 1, 2**64, -1, 0, 10**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(texts, numbers, st.booleans(), st.none(), st.sampled_from(PLAUSIBLE))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
params = st.one_of(short_texts, numbers.map(str), st.sampled_from(PLAUSIBLE))


def _q(text: str) -> str:
    """Percent-encoded as a raw client would (a lone surrogate as its UTF-8-like bytes)."""
    return quote(text, safe="", errors="surrogatepass")


def _query_names(route: APIRoute) -> list[str]:
    names: list[str] = []

    def walk(dependant: Any) -> None:
        names.extend(str(p.alias) for p in dependant.query_params)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return [*names, "q", "m"]


def _body_properties(schema: dict[str, Any], method: str, template: str) -> list[str]:
    operation = schema.get("paths", {}).get(template, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    if ref:
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return list(body.get("properties", {}))


def _request_strategy(
    route: APIRoute, method: str, template: str, schema: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    path_names = re.findall(r"\{([^}:]+)", template)
    query_names = _query_names(route)
    props = _body_properties(schema, method, template)
    if method in ("GET", "HEAD", "DELETE"):
        body: st.SearchStrategy[Any] = st.none()
    elif props:
        item = st.one_of(values, st.sampled_from(PLAUSIBLE))
        body = st.fixed_dictionaries({}, optional={p: item for p in props}) | values
    else:
        body = values
    return st.fixed_dictionaries(
        {
            "path": st.fixed_dictionaries({n: params for n in path_names}),
            "query": st.dictionaries(
                st.sampled_from(query_names) | short_texts, params, max_size=3
            ),
            "body": body,
        }
    )


def _send(client: ApiClient, method: str, template: str, case: dict[str, Any]) -> Any:
    path = template
    for name, value in case["path"].items():
        path = path.replace("{" + name + "}", _q(value) or "x")
    query = "&".join(f"{_q(k)}={_q(v)}" for k, v in case["query"].items())
    url = f"{path}?{query}" if query else path
    body = case["body"]
    if body is None:
        return client.request(method, url)
    if template.startswith(("/webhooks/twilio", "/u/")):
        fields = body if isinstance(body, dict) else {"Body": body}
        form = "&".join(f"{_q(str(k))}={_q(str(v))}" for k, v in fields.items())
        headers = {"content-type": "application/x-www-form-urlencoded"}
        return client.request(method, url, content=form.encode(), headers=headers)
    if template.endswith("/lead-email"):
        text = json.dumps(body, ensure_ascii=False).replace("\\u0000", "\x00")
        raw = text.encode("utf-8", "surrogatepass")
        return client.request(method, url, content=raw, headers={"content-type": "text/plain"})
    raw = json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
    return client.request(method, url, content=raw, headers={"content-type": "application/json"})


@pytest.fixture(params=SQL_BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApiClient]:
    """An admin client of tenant acme, with a contact ``c1`` and the workflow ``one-text``."""
    with database(request.param, tmp_path) as url:
        token = admin_key(url)
        settings_ = Settings(db=url, rate_limit_per_minute=0)
        rt = build_runtime(settings_)
        try:
            rt.store.upsert_contacts([Contact("c1", first_name="Ann", tenant_id="acme")], 0.0)
            publish(rt.store, rt.engine.catalog, ONE_TEXT, 0.0, tenant_id="acme")
        finally:
            rt.close()
        app = create_app(settings_)
        with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client


def test_hostile_text_and_numbers_on_every_route_never_get_a_5xx(seeded: ApiClient) -> None:
    app = seeded.app
    schema = app.openapi()
    routes = all_routes(app)
    walked = {f"{m} {t}" for m, t, _ in routes}
    # every route is walked, those outside the OpenAPI document too
    assert {"POST /api/v1/events/batch", "POST /webhooks/twilio/voice", "POST /u/{token}"} <= walked
    assert len(walked) >= 60, sorted(walked)
    for method, template, route in routes:

        @given(case=_request_strategy(route, method, template, schema))
        @settings(
            max_examples=EXAMPLES_PER_ROUTE,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: dict[str, Any]) -> None:
            response = _send(seeded, method, template, case)  # noqa: B023
            assert response.status_code < 500, (
                f"{method} {template}: {response.status_code} {response.text[:300]}"  # noqa: B023
            )
            if response.status_code == 422:
                assert response.headers["content-type"].startswith(PROBLEM_JSON)

        check()
