"""The playbooks feature's plugin: ``notify_agent``, ``assign_owner``, ``market_report`` and
the job that records overdue tasks."""

from __future__ import annotations

from leadflow.engine.plugins import Plugin
from leadflow.playbooks.booking import BookingLinkHandler, BookingLinks
from leadflow.playbooks.market import MarketReportHandler
from leadflow.playbooks.routing import AssignOwnerHandler
from leadflow.playbooks.rule_actions import NotifyAgentRuleAction
from leadflow.playbooks.tasks import NotifyAgentHandler, OverdueJob, Summarizer
from leadflow.store.contract import Store


def playbooks_plugin(
    store: Store,
    links: BookingLinks | None = None,
    public_url: str | None = None,
    summarizer: Summarizer | None = None,
) -> Plugin:
    """``links`` (from ``LEADFLOW_BOOKING_SECRET``) and ``public_url`` make booking links;
    ``summarizer`` writes the lead summary a ``notify_agent`` with ``summary: true`` adds."""
    return Plugin(
        "playbooks",
        handlers={
            "notify_agent": NotifyAgentHandler(store, summarizer),
            "assign_owner": AssignOwnerHandler(store),
            "market_report": MarketReportHandler(store),
            "booking_link": BookingLinkHandler(store, links, public_url),
        },
        jobs=[OverdueJob(store)],
        rule_actions={"notify_agent": NotifyAgentRuleAction(store)},  # automation rules
    )


__all__ = ["playbooks_plugin"]
