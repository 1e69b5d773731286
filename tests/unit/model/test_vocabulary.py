"""One event vocabulary: every event type the product emits is a name of the vocabulary, every
consumer listens only to such names, aliases meet their canonical name at every door, and
docs/events.md lists them all."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from leadflow.channels import sendgrid_events
from leadflow.definitions.experiment_model import OPT_OUT_EVENTS, OUTCOME_EVENTS
from leadflow.definitions.models import WorkflowDefinition
from leadflow.engine.dispatch import _events_for
from leadflow.listings.collaborative import SIGNAL_EVENTS
from leadflow.listings.learned import LEARN_EVENTS
from leadflow.model.records import Message, MessageStatus, MessageUpdate
from leadflow.model.rules import CONSENT_EVENT_TYPES, HOLD_EVENT_TYPES, REPLY_EVENT_TYPES
from leadflow.model.vocabulary import (
    ALIASES,
    CHANNELS,
    VOCABULARY,
    canonical,
    events_page,
    known,
)
from leadflow.scoring.features import DEFAULT_GROUPS
from leadflow.scoring.recompute import SCORE_CHANGED
from leadflow.scoring.rules import SCORED_EVENTS
from leadflow.webhooks import crm

SRC = Path(__file__).resolve().parents[3] / "src" / "leadflow"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"
# Functions whose first argument is an event type, besides NewEvent itself.
EMITTING_CALLS = {"NewEvent", "_message_event", "_event", "_inbound"}


def emitted_literals() -> dict[str, list[str]]:
    """Every string literal passed as the event type of an event built anywhere in src/: the
    type -> the modules that emit it."""
    found: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = node.args[0]
            literal = first.value if isinstance(first, ast.Constant) else None
            if name in EMITTING_CALLS and isinstance(literal, str):
                found.setdefault(literal, []).append(str(path.relative_to(SRC)))
    return found


def test_the_scan_sees_the_known_emitters() -> None:
    found = emitted_literals()
    # the scan is not empty by accident: these come from channels, listings and the simulators
    assert {"sms.received", "listing.created", "lead.created", "voice.answered"} <= set(found)


def test_every_event_type_built_in_the_source_is_in_the_vocabulary() -> None:
    unknown = {t: where for t, where in emitted_literals().items() if not known(t)}
    assert unknown == {}


def test_every_table_driven_emitter_uses_the_vocabulary() -> None:
    tables = {
        "crm webhook": set(crm.EVENT_TYPES.values()),
        "sendgrid events": {*sendgrid_events._SIMPLE.values(), sendgrid_events.MACHINE_OPENED},
        "scoring": {SCORE_CHANGED},
    }
    assert {name: sorted(t for t in types if not known(t)) for name, types in tables.items()} == {
        name: [] for name in tables
    }


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "status", [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED]
)
def test_dispatch_verdict_events_are_in_the_vocabulary(channel: str, status: MessageStatus) -> None:
    msg = Message(1, "c1", "w", "n", channel, "x", "k", 0.0, 0.0)
    msg.id = 7
    update = MessageUpdate(7, status, error="21610 opted out" if status == "failed" else None)
    events = _events_for(msg, update, 0.0)
    assert events and all(known(e.type) for e in events), [e.type for e in events]


def test_every_consumer_listens_only_to_vocabulary_names() -> None:
    consumers = {
        "transparent score": SCORED_EVENTS,
        "predictive features": {t for group in DEFAULT_GROUPS.values() for t in group},
        "learned listing criteria": set(LEARN_EVENTS),
        "also saved listings": set(SIGNAL_EVENTS),
        "experiment outcomes": {t for group in OUTCOME_EVENTS.values() for t in group},
        "experiment opt-outs": set(OPT_OUT_EVENTS),
        "stop on reply / consent": {*REPLY_EVENT_TYPES, *CONSENT_EVENT_TYPES, *HOLD_EVENT_TYPES},
    }
    assert {
        name: sorted(t for t in types if not known(t)) for name, types in consumers.items()
    } == {name: [] for name in consumers}


def test_a_lead_browsing_through_the_crm_is_counted_by_the_score_and_the_criteria() -> None:
    viewed, saved = crm.event_type("Viewed Property"), crm.event_type("saved  property")
    visited = crm.event_type("Visited Website")
    assert {viewed, visited, saved} <= SCORED_EVENTS
    assert {viewed, saved} <= set(LEARN_EVENTS)
    assert viewed in DEFAULT_GROUPS["views"] and saved in DEFAULT_GROUPS["saves"]


def test_aliases_name_vocabulary_entries_and_are_not_entries_themselves() -> None:
    assert all(known(target) and not known(alias) for alias, target in ALIASES.items())
    assert canonical("property.viewed") == "listing.viewed"
    assert canonical("page.viewed") == "site.visited"
    assert canonical("sms.received") == "sms.received"
    assert canonical("custom.thing") == "custom.thing"  # tenants may send their own types


def test_a_workflow_naming_an_alias_listens_to_the_vocabulary_name() -> None:
    definition = WorkflowDefinition.model_validate(
        {
            "key": "browse",
            "name": "Browse",
            "triggers": [{"type": "event", "event": "property.viewed"}],
            "settings": {"goals": [{"name": "saved", "event": "lead.saved_property"}]},
            "start": "wait",
            "nodes": [
                {"id": "wait", "kind": "wait_for_event", "event": "website.visited",
                 "timeout": "1d"},
            ],
        }
    )  # fmt: skip
    assert definition.triggers[0].event == "listing.viewed"
    assert definition.settings.goals[0].event == "listing.saved"
    assert definition.nodes[0].event == "site.visited"  # type: ignore[union-attr]


def test_docs_list_every_event_type_and_alias() -> None:
    text = DOCS.read_text("utf-8")
    missing = [name for name in [*VOCABULARY, *ALIASES] if f"`{name}`" not in text]
    assert missing == []
    assert text == events_page(), "docs/events.md is stale: run `python scripts/events_doc.py`"
