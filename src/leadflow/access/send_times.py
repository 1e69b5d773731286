"""A lead's send-time profile and recommendation, and its predictive score, for a contact in
the caller's scope (another tenant's lead is "not found")."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadflow.access.scope import visible_contact
from leadflow.engine.localtime import zone
from leadflow.errors import InvalidInput, NoSendWindow
from leadflow.model.records import Contact, Scope
from leadflow.runtime import Runtime
from leadflow.sendtime.choose import MAX_DELAY_S, choose_moment
from leadflow.sendtime.history import OutboxHistory
from leadflow.sendtime.profile import ChannelProfile, channel_profile

if TYPE_CHECKING:
    from leadflow.scoring.training import ContactScore

CHANNELS = ("sms", "email", "voice")


@dataclass(frozen=True, slots=True)
class Recommended:
    profile: ChannelProfile
    next_best_at: float  # the best moment of the coming week the sending rules allow


def profile(
    rt: Runtime, scope: Scope, contact_id: str, channels: list[str], now: float, top: int = 3
) -> tuple[Contact, str, list[Recommended]]:
    """(the contact, the zone its hours are in, per channel its profile and next best moment)."""
    for i, channel in enumerate(channels):
        if channel not in CHANNELS:
            raise InvalidInput(
                f"channel: {channel!r} is not one of {', '.join(CHANNELS)}",
                [(f"query.channel[{i}]", f"not one of {', '.join(CHANNELS)}")],
            )
    contact = visible_contact(rt.store, scope, contact_id)
    default = rt.settings.default_timezone
    zone_name = contact.time_zone or default
    tz = zone(zone_name, default)
    history = OutboxHistory(rt.store, default)
    out = []
    for channel in channels:
        found, means = channel_profile(history, contact.id, channel, tz, now, top)

        def earliest(t: float, channel: str = channel) -> float:
            if rt.engine.gate is None:
                return t
            try:
                return rt.engine.gate.earliest(channel, contact, None, t)
            except NoSendWindow:
                return t

        choice = choose_moment(now, tz, means, earliest, MAX_DELAY_S, random.Random(0), 0.0)
        out.append(Recommended(found, choice.at))
    return contact, zone_name, out


def prediction(rt: Runtime, scope: Scope, contact_id: str, now: float, top: int) -> ContactScore:
    """The lead's probability of its tenant's goal within the horizon, by the tenant's latest
    trained model (NotFound naming the command that trains one), with its top factors."""
    from leadflow.scoring.training import score_contact  # scikit-learn: only when asked

    contact = visible_contact(rt.store, scope, contact_id)
    return score_contact(rt.store, contact.tenant_id, contact.id, now, top=top)
