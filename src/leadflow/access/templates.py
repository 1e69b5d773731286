"""Playbook templates as a tenant sees them: list, show, install (as a draft or published).

An install fills the template in with the given parameter values (defaults for the rest); a bad,
missing or unknown parameter is refused naming it, and nothing is written. Installing needs an
admin or manager key, like saving or publishing a workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow.access import workflows
from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.model.records import Draft, WorkflowVersion
from leadflow.playbooks.catalog import Template, get_template, instantiate, templates
from leadflow.tenancy.accounts import Principal

if TYPE_CHECKING:
    from leadflow.runtime import Runtime


@dataclass(slots=True)
class Installed:
    template: str
    key: str
    status: str  # draft | published
    definition: dict[str, Any]
    version: WorkflowVersion | None = None
    draft: Draft | None = None
    warnings: list[str] | None = None


def listed() -> list[Template]:
    return templates()


def shown(name: str) -> Template:
    return get_template(name)


def install(
    rt: Runtime,
    principal: Principal,
    name: str,
    values: dict[str, Any],
    now: float,
    *,
    publish: bool = False,
) -> Installed:
    """Install template ``name`` into the caller's tenant under the template's key."""
    require_role(principal, WRITE_ROLES, "installing a template")
    template = get_template(name)
    data = instantiate(template, values)  # raises before anything is written
    key = str(data["key"])
    if publish:
        version, _ = workflows.publish_workflow(rt, principal, key, data, now)
        return Installed(name, key, "published", data, version=version)
    draft, check = workflows.save_draft(rt, principal, key, data, now)
    return Installed(name, key, "draft", data, draft=draft, warnings=check.errors + check.warnings)


__all__ = ["Installed", "install", "listed", "shown"]
