"""``/api/v1/listings``: RESO listings of the caller's tenant (create, read, list, filter, page,
import, delete), role checks and tenant isolation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from leadflow.listings.synthetic import synthetic_listings
from leadflow.model.tenancy import Agent
from leadflow.store.factory import open_store
from leadflow.tenancy import accounts
from support.api_client import ApiClient, admin_key, assert_problem

URL = "/api/v1/listings"


def listing(key: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ListingKey": key,
        "StandardStatus": "Active",
        "ListPrice": 450000,
        "City": "Austin",
        "PostalCode": "78701",
        "BedroomsTotal": 3,
        "BathroomsTotalInteger": 2,
        "InternetEntireListingDisplayYN": True,
    }
    body.update(fields)
    return body


def agent_key(db_url: str, role: str = "agent") -> str:
    """A key of tenant "acme" for agent a1 (role agent or manager; a1 leads team north)."""
    store = open_store(db_url)
    try:
        if store.get_tenant("acme") is None:
            accounts.create_tenant(store, "acme", "Acme Realty", 0.0)
        accounts.add_team(store, "acme", "north", "North", 0.0)
        accounts.add_agents(store, "acme", [Agent("acme", "a1", team_key="north")], 0.0)
        _, token = accounts.create_key(store, "acme", role, 0.0, member_key="a1")
    finally:
        store.close()
    return token


class As:
    """The app's client (one lifespan), sending another key."""

    def __init__(self, client: ApiClient, token: str) -> None:
        self.client, self.auth = client, {"Authorization": f"Bearer {token}"}

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, url, headers=self.auth, **kw)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)


@pytest.fixture
def as_agent(db_url: str, client: ApiClient) -> As:
    return As(client, agent_key(db_url))


def test_put_creates_then_replaces_and_get_shows_it(client: ApiClient) -> None:
    created = client.request("PUT", f"{URL}/L1", json=listing("L1", Heating="Forced Air"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["ListingKey"] == "L1" and body["ListPrice"] == 450000.0
    assert body["PostalCode"] == "78701" and body["Heating"] == "Forced Air"
    assert body["CreatedAt"] == body["UpdatedAt"]
    replaced = client.request(
        "PUT", f"{URL}/L1", json={"StandardStatus": "Active Under Contract", "ListPrice": 440000}
    )
    assert replaced.status_code == 200, replaced.text
    got = client.get(f"{URL}/L1").json()
    assert got["StandardStatus"] == "ActiveUnderContract" and got["ListPrice"] == 440000.0
    assert got["City"] is None  # a PUT replaces the whole listing
    assert got == replaced.json()


def test_list_filters_and_pages(client: ApiClient) -> None:
    items = synthetic_listings(23, seed=3)
    response = client.post(f"{URL}/import", json={"items": items})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "inserted": 23,
        "updated": 0,
        "price_changes": 0,
        "status_changes": 0,
    }
    seen: list[str] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 10} | ({"after": after} if after else {})
        page = client.get(URL, params=params).json()
        seen += [x["ListingKey"] for x in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == sorted(x["ListingKey"] for x in items)
    austin = client.get(URL, params={"city": "Austin", "min_beds": 3, "idx_only": True}).json()
    expected = sorted(
        x["ListingKey"]
        for x in items
        if x["City"] == "Austin" and x["BedroomsTotal"] >= 3 and x["InternetEntireListingDisplayYN"]
    )
    assert [x["ListingKey"] for x in austin["items"]] == expected and austin["next"] is None
    cheap = client.get(URL, params={"max_price": 500000, "standard_status": "active"}).json()
    assert cheap["items"] and all(
        x["ListPrice"] <= 500000 and x["StandardStatus"] == "Active" for x in cheap["items"]
    )


def test_import_is_all_or_nothing_and_names_the_field(client: ApiClient) -> None:
    items = [listing(f"L{i}") for i in range(5)]
    items[3]["ListPrice"] = "cheap"
    body = assert_problem(client.post(f"{URL}/import", json={"items": items}), 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert [e["field"] for e in errors] == ["body.items[3].ListPrice"]
    assert client.get(URL).json() == {"items": [], "next": None}
    twice = [listing("L1"), listing("L1", ListPrice=1)]  # applied in order: the last wins
    summary = client.post(f"{URL}/import", json={"items": twice}).json()
    assert (summary["inserted"], summary["updated"], summary["price_changes"]) == (1, 1, 1)
    assert client.get(f"{URL}/L1").json()["ListPrice"] == 1.0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"PostalCode": 2134}, "body.PostalCode"),
        ({"StandardStatus": "Sold"}, "body.StandardStatus"),
        ({"Latitude": 123}, "body.Latitude"),
    ],
)
def test_a_bad_field_is_a_422_naming_it(
    client: ApiClient, fields: dict[str, Any], field: str
) -> None:
    body = assert_problem(client.request("PUT", f"{URL}/L1", json=listing("L1", **fields)), 422)
    errors = body["errors"]
    assert isinstance(errors, list) and [e["field"] for e in errors] == [field]


def test_a_body_key_other_than_the_path_is_refused(client: ApiClient) -> None:
    body = assert_problem(client.request("PUT", f"{URL}/L1", json=listing("L2")), 422)
    assert "ListingKey" in str(body["detail"])


def test_delete(client: ApiClient) -> None:
    client.request("PUT", f"{URL}/L1", json=listing("L1"))
    assert client.request("DELETE", f"{URL}/L1").status_code == 204
    assert_problem(client.get(f"{URL}/L1"), 404)
    assert_problem(client.request("DELETE", f"{URL}/L1"), 404)


def test_an_agent_may_read_but_not_write(client: ApiClient, as_agent: As) -> None:
    client.request("PUT", f"{URL}/L1", json=listing("L1"))
    assert as_agent.get(f"{URL}/L1").status_code == 200
    assert [x["ListingKey"] for x in as_agent.get(URL).json()["items"]] == ["L1"]
    assert_problem(as_agent.request("PUT", f"{URL}/L2", json=listing("L2")), 403)
    assert_problem(as_agent.post(f"{URL}/import", json={"items": [listing("L3")]}), 403)
    assert_problem(as_agent.request("DELETE", f"{URL}/L1"), 403)
    assert client.get(f"{URL}/L1").status_code == 200


def test_a_manager_may_write(db_url: str, client: ApiClient) -> None:
    manager = As(client, agent_key(db_url, "manager"))
    assert manager.request("PUT", f"{URL}/L9", json=listing("L9")).status_code == 201


def test_another_tenants_listing_is_not_found(db_url: str, client: ApiClient) -> None:
    client.request("PUT", f"{URL}/L1", json=listing("L1", ListPrice=1))
    them = As(client, admin_key(db_url, tenant="other"))
    assert_problem(them.get(f"{URL}/L1"), 404)
    assert_problem(them.request("DELETE", f"{URL}/L1"), 404)
    assert them.get(URL).json() == {"items": [], "next": None}
    # their own L1 is another listing
    assert them.request("PUT", f"{URL}/L1", json=listing("L1", ListPrice=2)).status_code == 201
    assert them.get(f"{URL}/L1").json()["ListPrice"] == 2.0
    assert client.get(f"{URL}/L1").json()["ListPrice"] == 1.0


@pytest.mark.parametrize("limit", ["0", "501", "x"])
def test_limit_is_1_to_500(client: ApiClient, limit: str) -> None:
    body = assert_problem(client.get(URL, params={"limit": limit}), 422)
    errors = body["errors"]
    assert isinstance(errors, list) and [e["field"] for e in errors] == ["query.limit"]


def test_the_status_filter_takes_either_spelling_and_refuses_others(client: ApiClient) -> None:
    client.request("PUT", f"{URL}/L1", json=listing("L1", StandardStatus="ActiveUnderContract"))
    found = client.get(URL, params={"standard_status": "active under contract"}).json()
    assert [x["ListingKey"] for x in found["items"]] == ["L1"]
    body = assert_problem(client.get(URL, params={"standard_status": "Sold"}), 422)
    errors = body["errors"]
    assert isinstance(errors, list) and [e["field"] for e in errors] == ["query.standard_status"]
