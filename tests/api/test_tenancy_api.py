"""``/api/v1/tenants/current``, ``/teams``, ``/agents``: a brokerage's admin manages its teams
and agents over the API, in RESO names; other roles and other tenants get nothing."""

from __future__ import annotations

from fastapi import FastAPI

from support.api_client import ApiClient, admin_key, assert_problem, member_key


def test_an_admin_builds_teams_and_agents(client: ApiClient) -> None:
    assert client.get("/api/v1/tenants/current").json()["id"] == "acme"
    made = client.put("/api/v1/teams/north", json={"TeamName": "North"})
    assert made.status_code == 201, made.text
    ann = {"MemberFirstName": "Ann", "MemberEmail": "ann@acme.test", "TeamKey": "north"}
    added = client.put("/api/v1/agents/ann", json=ann)
    assert added.status_code == 201, added.text
    assert added.json()["MemberKey"] == "ann" and added.json()["TeamKey"] == "north"
    changed = client.put("/api/v1/agents/ann", json=ann | {"MemberLastName": "Lee"})
    assert (changed.status_code, changed.json()["MemberLastName"]) == (200, "Lee")
    led = client.put("/api/v1/teams/north", json={"TeamName": "North side", "TeamLeadKey": "ann"})
    assert (led.status_code, led.json()["TeamLeadKey"]) == (200, "ann")
    rows = [{"MemberKey": "bo", "TeamKey": "north"}, {"MemberKey": "cy"}]
    done = client.post("/api/v1/agents/import", json={"items": rows})
    assert done.json() == {"inserted": 2, "updated": 0}
    listed = client.get("/api/v1/agents", params={"team": "north"}).json()["items"]
    assert sorted(a["MemberKey"] for a in listed) == ["ann", "bo"]
    assert [t["TeamName"] for t in client.get("/api/v1/teams").json()["items"]] == ["North side"]


def test_every_key_must_be_the_tenants_own_and_bad_rows_change_nothing(
    client: ApiClient, app: FastAPI, db_url: str
) -> None:
    other = admin_key(db_url, tenant="other")
    with ApiClient(app, headers={"Authorization": f"Bearer {other}"}) as theirs:
        assert theirs.put("/api/v1/teams/south", json={"TeamName": "South"}).status_code == 201
        assert theirs.put("/api/v1/agents/zed", json={"TeamKey": "south"}).status_code == 201
        assert theirs.get("/api/v1/tenants/current").json()["id"] == "other"
        # acme cannot put its agent in other's team (team keys are per tenant)
        wrong_team = assert_problem(
            client.put("/api/v1/agents/ann", json={"TeamKey": "south"}), 422
        )
        assert "TeamKey" in str(wrong_team["detail"])
        rows = [{"MemberKey": "ok"}, {"MemberKey": "bad", "TeamKey": "south"}]
        assert_problem(client.post("/api/v1/agents/import", json={"items": rows}), 422)
        assert client.get("/api/v1/agents").json() == {"items": []}  # all or none
        assert client.get("/api/v1/teams").json() == {"items": []}
        unknown = assert_problem(client.put("/api/v1/agents/x", json={"MemberNickname": "X"}), 422)
        assert "body.MemberNickname" in str(unknown["errors"])


def test_agents_and_managers_see_their_tenant_but_not_the_roster(
    app: FastAPI, client: ApiClient, db_url: str
) -> None:
    assert client.put("/api/v1/teams/north", json={"TeamName": "North"}).status_code == 201
    token = member_key(db_url, "agent", "a1")
    with ApiClient(app, headers={"Authorization": f"Bearer {token}"}) as agent:
        assert agent.get("/api/v1/tenants/current").json()["id"] == "acme"
        assert_problem(agent.get("/api/v1/agents"), 403)
        assert_problem(agent.get("/api/v1/teams"), 403)
        assert_problem(agent.put("/api/v1/agents/a2", json={}), 403)
