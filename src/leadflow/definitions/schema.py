"""JSON Schema of a workflow definition, for editors and for clients that build workflows.

The schema checks shape only; :func:`leadflow.definitions.validation.validate` also checks the
graph, durations, templates and conditions.
"""

from __future__ import annotations

from typing import Any

from leadflow.definitions.models import WorkflowDefinition

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def workflow_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a workflow definition file."""
    body = WorkflowDefinition.model_json_schema(by_alias=True, mode="validation")
    body.pop("title", None)
    body.pop("description", None)
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "leadflow workflow definition",
        "description": (
            "A lead-nurture workflow: a key and name, triggers that enroll contacts, settings, "
            "and a graph of nodes (messages, waits, branches...) starting at `start`. Durations "
            "are strings such as 90s, 2h, 1d12h or PT2H; message fields are Jinja2 templates."
        ),
        **body,
    }
