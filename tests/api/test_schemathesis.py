"""Property-based tests of the whole API from its own OpenAPI document (schemathesis): for
requests generated from the schema, no answer is a 5xx, and every answer is one the document
declares, with the declared content type and body shape. (The operations are walked by hand
with Hypothesis: schemathesis' lazy pytest fixture loader does not run on pytest 9.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_client import admin_key, upgraded_db
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from leadflow.api.app import create_app
from leadflow.engine.workflows import publish
from leadflow.runtime import build_runtime
from leadflow.settings import Settings

ONE_TEXT: dict[str, Any] = {
    "key": "one-text",
    "name": "One text",
    "start": "hi",
    "nodes": [{"id": "hi", "kind": "send_sms", "body": "Hi {{ contact.first_name }}"}],
}


@pytest.fixture
def api_schema(tmp_path: Path) -> tuple[Any, dict[str, str]]:
    url = upgraded_db(tmp_path / "api.db")
    rt = build_runtime(Settings(db=url))
    try:  # one published workflow, so the generated requests find something too
        publish(rt.store, rt.engine.catalog, ONE_TEXT, 0.0, tenant_id="acme")
    finally:
        rt.close()
    app = create_app(Settings(db=url))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    return schema, {"Authorization": f"Bearer {admin_key(url)}"}


def test_the_api_keeps_its_openapi_promises(api_schema: tuple[Any, dict[str, str]]) -> None:
    schema, auth = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = sorted(op.label for op in operations)
    assert "GET /api/v1/workflows/{key}" in labels and "GET /readyz" in labels
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            # Schema-valid is not always valid: an e-mail without an @ or a state that is no
            # state passes the schema's types and gets a 422 naming the field, as documented.
            case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

        check()
