"""YAML request bodies (``Content-Type: application/yaml``): read with the workflow files'
strict loader, then handled exactly as the same body in JSON, checks included."""

from __future__ import annotations

from fastapi import FastAPI

from support.api_client import ApiClient, assert_problem

YAML = "application/yaml"

WELCOME_YAML = """\
key: welcome
name: Welcome
start: hello
nodes:
  - id: hello
    kind: send_sms
    body: "Hi {{ contact.first_name }}"
    next: pause
  - id: pause
    kind: wait
    duration: 1d
"""


def post_yaml(client: ApiClient, url: str, text: str, content_type: str = YAML):  # type: ignore[no-untyped-def]
    return client.post(url, content=text.encode("utf-8"), headers={"Content-Type": content_type})


def test_a_workflow_published_as_yaml_is_the_same_as_in_json(client: ApiClient) -> None:
    checked = post_yaml(client, "/api/v1/workflows/validate", WELCOME_YAML)
    assert checked.status_code == 200 and checked.json()["ok"] is True, checked.text
    done = post_yaml(client, "/api/v1/workflows/welcome/publish", WELCOME_YAML, "text/yaml")
    assert done.status_code == 201, done.text
    shown = client.get("/api/v1/workflows/welcome").json()
    assert [n["id"] for n in shown["definition"]["nodes"]] == ["hello", "pause"]
    assert shown["definition"]["nodes"][1]["duration"] == "1d"
    # the same definition again, now as JSON: nothing new
    again = client.post("/api/v1/workflows/welcome/publish", json=shown["definition"])
    assert (again.status_code, again.json()["created"]) == (200, False)


def test_yaml_is_read_strictly_zip_codes_and_no_stay_strings(client: ApiClient) -> None:
    body = "first_name: Ana\nfields:\n  zip: 02134\n  moved: 2024-05-01\ntags: [no, on]\n"
    made = post_yaml(client, "/api/v1/contacts", body)
    assert made.status_code == 201, made.text
    shown = client.get(f"/api/v1/contacts/{made.json()['id']}").json()
    assert shown["tags"] == ["no", "on"]  # not booleans
    assert shown["fields"] == {"zip": "02134", "moved": "2024-05-01"}  # not 1116, not a date


def test_malformed_yaml_is_a_400_naming_line_and_column(client: ApiClient) -> None:
    broken = "key: welcome\nnodes:\n  - id: a\n   kind: [send_sms\n"
    body = assert_problem(post_yaml(client, "/api/v1/workflows/validate", broken), 400)
    assert "not valid YAML at line" in str(body["detail"]) and "column" in str(body["detail"])
    assert body["errors"] == [{"field": "body", "problem": body["errors"][0]["problem"]}]  # type: ignore[index]
    repeated = "key: a\nkey: b\n"
    body = assert_problem(post_yaml(client, "/api/v1/workflows/validate", repeated), 400)
    assert "line 2" in str(body["detail"])


def test_yaml_goes_through_the_input_guard_as_json_does(client: ApiClient) -> None:
    nul = 'key: welcome\nname: "bad\\0name"\nstart: a\nnodes: []\n'
    body = assert_problem(post_yaml(client, "/api/v1/workflows/validate", nul), 422)
    assert body["errors"][0]["field"] == "body.name"  # type: ignore[index]


def test_an_alias_bomb_is_refused_before_it_expands(client: ApiClient, app: FastAPI) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    body = assert_problem(post_yaml(client, "/api/v1/workflows/validate", "\n".join(lines)), 400)
    assert "alias" in str(body["detail"]).lower()
