"""The OpenAPI document describes what the workflow and import routes really take: the workflow
body is the language's JSON Schema (JSON and YAML), the contacts import names its columns, so a
client generated from ``/openapi.json`` builds requests the API reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from leadflow.contacts.importer import _KNOWN, FIELD_COLUMNS
from leadflow.definitions import load_file, workflow_json_schema
from leadflow.definitions.models import NODE_KINDS
from support.api_client import ApiClient

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "new-lead-welcome.yaml"
WORKFLOW_ROUTES = [
    ("/api/v1/workflows/validate", "post", True),
    ("/api/v1/workflows/{key}/draft", "put", True),
    ("/api/v1/workflows/{key}/publish", "post", False),
]


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _body_validator(doc: dict[str, Any]) -> Any:
    """A validator of what the publish route's JSON body schema says, with the document's
    components to resolve its references."""
    body = doc["paths"]["/api/v1/workflows/{key}/publish"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**schema, "components": doc["components"]})


def test_workflow_routes_take_the_languages_schema_as_json_and_yaml(client: ApiClient) -> None:
    doc = client.get("/openapi.json").json()
    for path, method, required in WORKFLOW_ROUTES:
        body = doc["paths"][path][method]["requestBody"]
        assert body["required"] is required
        for media in ("application/json", "application/yaml"):
            assert body["content"][media]["schema"] == {
                "$ref": "#/components/schemas/WorkflowDefinition"
            }
    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):  # every reference resolves inside the document
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    mapping = schemas["WorkflowDefinition"]["properties"]["nodes"]["items"]["discriminator"]
    assert set(mapping["mapping"]) == set(NODE_KINDS)


def test_real_definitions_fit_the_body_schema_and_wrong_ones_do_not(client: ApiClient) -> None:
    valid = _body_validator(client.get("/openapi.json").json())
    example = load_file(EXAMPLE)
    assert valid.is_valid(example)
    assert not valid.is_valid({**example, "nodes": [{"id": "x", "kind": "send_fax"}]})
    assert not valid.is_valid({k: v for k, v in example.items() if k != "start"})


def test_a_body_generated_from_the_openapi_schema_of_publish_is_a_definition(
    app: FastAPI, client: ApiClient
) -> None:
    """What a schema-driven client or fuzzer builds for publish is a definition in the language
    (its own JSON Schema says so), and the API reads it: validate answers 200 with what is
    wrong with its graph or templates, never a refusal of its shape."""
    language = jsonschema_rs.Draft202012Validator(workflow_json_schema())
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(allow_x00=False)  # NUL: refused at the edge, on purpose
    operation = schema["/api/v1/workflows/{key}/publish"]["POST"]
    seen: list[dict[str, Any]] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        if not isinstance(case.body, dict):
            return  # no body: the draft is published
        assert language.is_valid(case.body), case.body
        answer = client.post("/api/v1/workflows/validate", json=case.body)
        assert answer.status_code == 200, answer.text
        seen.append(case.body)

    check()
    assert seen


def test_the_import_body_names_its_columns_and_its_example_imports(client: ApiClient) -> None:
    body = client.get("/openapi.json").json()["paths"]["/api/v1/contacts/import"]["post"]
    request = body["requestBody"]
    for column in (*_KNOWN, *FIELD_COLUMNS, "Phone", "Zip"):
        assert column.casefold() in request["description"].casefold(), column
    upload = request["content"]["multipart/form-data"]["schema"]["properties"]["file"]
    assert "MobilePhone" in upload["description"]
    example = request["content"]["text/csv"]["example"]
    done = client.post(
        "/api/v1/contacts/import", content=example, headers={"content-type": "text/csv"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["inserted"] == 1


@pytest.mark.parametrize("media", ["application/json", "application/yaml"])
def test_the_document_is_what_the_routes_read(client: ApiClient, media: str) -> None:
    """The example sent as either media type is read by validate as the same definition."""
    text = EXAMPLE.read_text()
    if media == "application/json":
        import json

        text = json.dumps(load_file(EXAMPLE))
    answer = client.post(
        "/api/v1/workflows/validate", content=text, headers={"content-type": media}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["errors"] == []
