"""The send node's side of send-time optimisation: from a step to a chosen moment.

:class:`OptimalSendTime` is the engine's send timer; :class:`SendTimes` is what it asks for
the lead's posterior engagement rates per hour-of-week bucket
(:class:`~leadflow.sendtime.history.OutboxHistory` reads them from the outbox). The chosen
moment is tested against the step's send gate, so quiet hours and state windows always win over
the model, and it is kept in the run context while the run waits.
"""

from __future__ import annotations

from datetime import tzinfo
from functools import partial
from typing import Any, Protocol

from leadflow.engine.context import StepContext
from leadflow.errors import NoSendWindow
from leadflow.model.records import Contact
from leadflow.sendtime.choose import EXPLORE, choose_moment
from leadflow.sendtime.model import Prior, Vector
from leadflow.sendtime.spread import HourlyCap


class SendTimes(Protocol):
    cap: HourlyCap | None  # sends per campaign and hour, when capped

    def means(
        self, contact: Contact | None, channel: str, tz: tzinfo, now: float
    ) -> tuple[Vector, int]:
        """Posterior mean engagement per bucket, and the contact's own engagements behind it."""
        ...


def choose_send_time(
    ctx: StepContext,
    node_id: str,
    channel: str,
    max_delay: float,
    send_times: SendTimes | None,
    explore: float = EXPLORE,
) -> dict[str, Any]:
    """The chosen moment and its explanation (JSON-ready) for the step's contact. With a cap,
    the moment's hour is counted against the campaign (workflow and node)."""
    tz = ctx.local_zone()
    cap = send_times.cap if send_times is not None else None
    campaign = f"{ctx.workflow.key}:{node_id}"
    if send_times is None:
        means, events = Prior.flat().mean, 0
    else:
        means, events = send_times.means(ctx.contact, channel, tz, ctx.now)
    room = None
    if cap is not None:
        cap.forget_before(ctx.now)
        room = partial(cap.has_room, campaign)
    choice = choose_moment(
        ctx.now,
        tz,
        means,
        lambda t: _earliest(ctx, channel, t),
        max_delay,
        ctx.rng,
        explore,
        room,
    )
    if cap is not None:
        cap.take(campaign, choice.at)
    return {**choice.explain(), "evidence": events, "zone": ctx.local_zone_name()}


def _earliest(ctx: StepContext, channel: str, moment: float) -> float:
    """When a message on ``channel`` queued at ``moment`` could leave, by the step's gate."""
    if ctx.gate is None:
        return moment
    try:
        return ctx.gate.earliest(channel, ctx.contact, ctx.workflow.definition.settings, moment)
    except NoSendWindow:  # never allowed: queued at once, the dispatcher suppresses it
        return moment


class OptimalSendTime:
    """The engine's :class:`~leadflow.engine.ports.SendTimer`: the moment from the lead's
    engagement history (``send_times``; without it every allowed hour looks alike)."""

    def __init__(self, send_times: SendTimes | None = None) -> None:
        self.send_times = send_times

    def choose(
        self, ctx: StepContext, node_id: str, channel: str, max_delay: float
    ) -> dict[str, Any]:
        return choose_send_time(ctx, node_id, channel, max_delay, self.send_times)
