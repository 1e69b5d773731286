"""The workflow language: models, durations, conditions, templates, validation, JSON Schema."""

from leadflow.definitions.conditions import compile_condition
from leadflow.definitions.durations import parse_duration
from leadflow.definitions.io import dump_yaml, load_file, load_text
from leadflow.definitions.models import WorkflowDefinition
from leadflow.definitions.schema import workflow_json_schema
from leadflow.definitions.templates import render
from leadflow.definitions.validation import Report, validate

__all__ = [
    "Report",
    "WorkflowDefinition",
    "compile_condition",
    "dump_yaml",
    "load_file",
    "load_text",
    "parse_duration",
    "render",
    "validate",
    "workflow_json_schema",
]
