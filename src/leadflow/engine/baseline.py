"""The values a run's ``changed`` conditions compare with: the contact as the run entered.

Only the paths the workflow's ``changed`` leaves name are kept (``CompiledWorkflow.changed_paths``),
in the run context under :data:`~leadflow.definitions.conditions.ENTERED`, so the context stays
small. They are taken where the run is created when the contact is at hand (event and schedule
triggers, manual enrollment of listed contacts, ``start_workflow``); a run created without them
(``enroll --all``, which inserts in bulk) or migrated to a version that reads a new path gets the
missing ones at its next step.
"""

from __future__ import annotations

from typing import Any

from leadflow.definitions.conditions import ENTERED, baseline
from leadflow.engine.compiled import CompiledWorkflow
from leadflow.model.records import Contact


def entered(wf: CompiledWorkflow, contact: Contact | None) -> dict[str, Any]:
    """The run-context entries to create a run of ``wf`` for ``contact`` with (may be empty)."""
    if not wf.changed_paths or contact is None:
        return {}
    return {ENTERED: baseline(wf.changed_paths, contact.as_dict())}


def fill_missing(wf: CompiledWorkflow, context: dict[str, Any], contact: Contact | None) -> bool:
    """Add to ``context`` the baselines of ``wf``'s paths it lacks; True when it added any."""
    if not wf.changed_paths or contact is None:
        return False
    kept = context.get(ENTERED)
    kept = kept if isinstance(kept, dict) else {}
    missing = [p for p in wf.changed_paths if p not in kept]
    if not missing:
        return False
    context[ENTERED] = {**kept, **baseline(missing, contact.as_dict())}
    return True
