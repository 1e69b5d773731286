"""Runs and messages through the API: read and controlled only when their contact is in the
caller's scope (another tenant's or another agent's run is "not found")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadflow.access.paging import page_of
from leadflow.access.scope import WRITE_ROLES, operator_of, require_role
from leadflow.clock import to_iso
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.records import Message, MessageFilter, Run, RunFilter, Scope, Step
from leadflow.store.contract import Store
from leadflow.tenancy.accounts import Principal

CONTROLS = ("pause", "resume", "cancel", "retry")


# Moments in a step's data (a wait's wake time, a chosen send time), stored as epoch seconds:
# shown in ISO 8601 like every other time the API and the CLI show.
STEP_TIMES = frozenset({"until", "at"})


def step_data(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A step's data as the API and the CLI show it: its moments in ISO 8601."""
    if not data:
        return data
    return {
        k: to_iso(v) if k in STEP_TIMES and isinstance(v, int | float) else v
        for k, v in data.items()
    }


def visible_run(store: Store, scope: Scope, run_id: int) -> Run:
    run = store.get_run(run_id)
    if run is None or not scope.allows(store.get_contact(run.contact_id)):
        raise NotFound(f"no run {run_id}")
    return run


def history(store: Store, scope: Scope, run_id: int) -> tuple[Run, list[Step], list[Message]]:
    """A run in scope, its steps and its messages, in order."""
    run = visible_run(store, scope, run_id)
    return run, store.run_steps(run.id), store.messages_of_run(run.id)


def run_page(store: Store, scope: Scope, flt: RunFilter) -> tuple[list[Run], int | None]:
    """One page (``flt.limit`` runs of the scope) and the id to go on after, when more may
    follow."""
    flt.scope = scope
    return page_of(store.list_runs, flt, _id)


def message_page(
    store: Store, scope: Scope, flt: MessageFilter
) -> tuple[list[Message], int | None]:
    """One page (``flt.limit`` messages of the scope's contacts) and the id to go on after."""
    flt.scope = scope
    return page_of(store.list_messages, flt, _id)


def runs(store: Store, scope: Scope | None, flt: RunFilter) -> list[Run]:
    """The runs passing ``flt`` (offset paging) of the scope's leads; with None (the operator
    of the installation, on the command line) of every tenant."""
    flt.scope = scope
    return store.list_runs(flt)


def messages(store: Store, scope: Scope | None, flt: MessageFilter) -> list[Message]:
    """The messages passing ``flt`` (offset paging) to the scope's leads; with None of every
    tenant."""
    flt.scope = scope
    return store.list_messages(flt)


def _id(found: Run | Message) -> int | None:
    return found.id


def operator_of_run(store: Store, run_id: int) -> tuple[Principal, Scope]:
    """The command line addressing a run by id: an admin of its lead's tenant."""
    run = store.get_run(run_id)
    return operator_of(store, None if run is None else run.contact_id)


def visible_message(store: Store, scope: Scope, message_id: int) -> Message:
    message = store.get_message(message_id)
    if message is None or not scope.allows(
        None if message.contact_id is None else store.get_contact(message.contact_id)
    ):
        raise NotFound(f"no message {message_id}")
    return message


def control_run(
    store: Store, principal: Principal, scope: Scope, run_id: int, action: str, now: float
) -> Run:
    """Pause, resume, cancel or retry a run in scope. Agents may pause and resume their own
    leads' runs (a lead asked for a break); cancel and retry need a manager or admin."""
    if action not in CONTROLS:
        raise InvalidInput(f"action: {action!r} is not one of {', '.join(CONTROLS)}")
    if action not in ("pause", "resume"):
        require_role(principal, WRITE_ROLES, f"{action} a run")
    visible_run(store, scope, run_id)
    from leadflow.engine import control  # the engine: for a change, not for a listing

    act: Callable[[Store, int, float], Run] = getattr(control, f"{action}_run")
    return act(store, run_id, now)
