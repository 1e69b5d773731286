"""The intents an inbound reply is read as: one vocabulary for the reply-intent model, the
orchestrated ``classify`` tasks and the API."""

from __future__ import annotations

from typing import Literal, get_args

IntentName = Literal[
    "interested",
    "question",
    "not_now",
    "wrong_number",
    "opt_out",
    "appointment_request",
    "needs_agent",
]
INTENTS: tuple[str, ...] = get_args(IntentName)

__all__ = ["INTENTS", "IntentName"]
