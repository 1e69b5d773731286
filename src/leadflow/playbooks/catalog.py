"""The plays shipped with leadflow (``plays/*.yaml``) and filling one in.

A play file holds ``template`` (name, title, summary, audience, ``parameters``, ``days``: what it
does day by day) and ``definition``: a workflow definition in which ``[[ name ]]`` stands for a
parameter's value. :func:`instantiate` checks the given values, fills them in and validates the
definition; nothing is written here (installing is :mod:`leadflow.access.templates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadflow.definitions.io import load_text
from leadflow.definitions.validation import validate
from leadflow.errors import InvalidInput, NotFound, WorkflowInvalid
from leadflow.playbooks.params import Parameter, fill, placeholders, resolve


class TemplateInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    summary: str
    audience: str = "buyers and sellers"
    parameters: list[Parameter] = Field(default_factory=list)
    days: list[str] = Field(default_factory=list, description="What it does, day by day.")


@dataclass(frozen=True, slots=True)
class Template:
    info: TemplateInfo
    definition: dict[str, Any]  # with placeholders

    @property
    def name(self) -> str:
        return self.info.name

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.info.parameters if not p.required}

    def as_dict(self) -> dict[str, Any]:
        """The template as the CLI's --json and the API show it."""
        return {
            "name": self.info.name,
            "title": self.info.title,
            "summary": self.info.summary,
            "audience": self.info.audience,
            "key": self.definition.get("key"),
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "default": p.default,
                    "required": p.required,
                    "description": p.description,
                    "min": p.min,
                    "max": p.max,
                    "choices": p.choices,
                    "allowed": p.allowed(),
                }
                for p in self.info.parameters
            ],
            "days": list(self.info.days),
        }


def _load(name: str, text: str) -> Template:
    data = load_text(text, filename=name)
    info = TemplateInfo.model_validate(data["template"])
    definition = data["definition"]
    used = placeholders(definition)
    declared = {p.name for p in info.parameters}
    if used - declared:  # a shipping bug: caught by the tests of every play
        raise ValueError(f"{name}: undeclared parameters {sorted(used - declared)}")
    return Template(info, definition)


@lru_cache(maxsize=1)
def _all() -> tuple[Template, ...]:
    found = []
    for entry in sorted(resources.files("leadflow.playbooks.plays").iterdir(), key=str):
        if entry.name.endswith(".yaml"):
            found.append(_load(entry.name, entry.read_text(encoding="utf-8")))
    return tuple(found)


def templates() -> list[Template]:
    """Every shipped play, by name."""
    return sorted(_all(), key=lambda t: t.name)


def get_template(name: str) -> Template:
    for t in _all():
        if t.name == name:
            return t
    names = ", ".join(t.name for t in templates())
    raise NotFound(f"no template {name!r} (there are: {names})")


def instantiate(template: Template, given: dict[str, Any]) -> dict[str, Any]:
    """The workflow definition with ``given`` parameter values (defaults for the rest).
    InvalidInput naming every bad, missing or unknown parameter; WorkflowInvalid when the
    filled-in definition does not validate."""
    values, errors = resolve(template.info.parameters, given)
    if errors:
        raise InvalidInput(f"template {template.name!r}: " + "; ".join(errors))
    data = fill(template.definition, values)
    report = validate(data)
    if report.errors:
        raise WorkflowInvalid(report.errors, source=f"template {template.name}")
    assert isinstance(data, dict)
    return data


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``["k=v", ...]`` as a mapping; InvalidInput naming a pair without ``=``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set {pair!r}: expected NAME=VALUE")
        out[key.strip()] = value
    return out
