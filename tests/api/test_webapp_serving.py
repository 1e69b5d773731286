"""The web app is served from the installed package at / (no internet: every script and style
from this server), next to the API and its docs."""

from __future__ import annotations

import re

from support.api_client import ApiClient, assert_problem


def test_the_app_page_and_its_assets_come_from_this_server(anonymous: ApiClient) -> None:
    page = anonymous.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<div id="root">' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/assets/") for a in assets), assets
    for asset in assets:
        served = anonymous.get(asset)
        assert served.status_code == 200 and len(served.content) > 100, asset
    # nothing loaded from elsewhere: no remote script, style, font or image
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
    for css in (a for a in assets if a.endswith(".css")):
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", anonymous.get(css).text), css
        assert "@import" not in anonymous.get(css).text
    assert anonymous.get("/docs").status_code == 200
    assert anonymous.get("/openapi.json").json()["paths"]["/api/v1/session"]
    assert anonymous.get("/api/v1/workflows").status_code == 401


def test_the_workflow_schema_names_every_node_kind(client: ApiClient) -> None:
    schema = client.get("/api/v1/workflows/schema").json()
    mapping = schema["properties"]["nodes"]["items"]["discriminator"]["mapping"]
    assert {"send_sms", "wait", "branch", "split", "goal"} <= set(mapping)
    assert "body" in schema["$defs"]["SendSms"]["properties"]


def test_a_template_previews_for_a_visible_lead_or_the_sample(
    client: ApiClient, agent_ann: ApiClient, agent_bob: ApiClient
) -> None:
    template = "Hi {{ contact.first_name | default('there') }} in {{ contact.fields.city }}!"
    sample = client.post("/api/v1/workflows/preview", json={"template": template}).json()
    assert sample == {"text": "Hi Alex in Austin!", "contact_id": "c_sample", "sample": True}
    bobs = agent_bob.post(
        "/api/v1/contacts", json={"first_name": "Robin", "fields": {"city": "Waco"}}
    ).json()
    mine = client.post(
        "/api/v1/workflows/preview", json={"template": template, "contact_id": bobs["id"]}
    ).json()
    assert mine["text"] == "Hi Robin in Waco!" and mine["sample"] is False
    # another agent's lead is not there for ann
    hidden = agent_ann.post(
        "/api/v1/workflows/preview", json={"template": template, "contact_id": bobs["id"]}
    )
    assert_problem(hidden, 404)
    broken = client.post("/api/v1/workflows/preview", json={"template": "{{ contact.x("})
    assert "template" in str(assert_problem(broken, 422)["detail"])
