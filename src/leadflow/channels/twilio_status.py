"""What Twilio's message and call statuses and error codes mean to leadflow.

Twilio reports a message's life as ``queued -> sending -> sent -> delivered`` (or ``undelivered``
/ ``failed``), then perhaps ``read``; a call as ``queued -> ringing -> in-progress ->
completed`` (or ``busy`` / ``failed`` / ``no-answer`` / ``canceled``). Callbacks arrive out of
order, so only the outcomes that move a message forward are turned into facts, and the store's
one-way status order (:func:`leadflow.model.rules.merge_status`) ignores any step backwards.
"""

from __future__ import annotations

from typing import Literal

from leadflow.errors import ProviderError

Outcome = Literal["delivered", "failed"]

# Message statuses in the order they happen (a later rank never yields to an earlier one).
SMS_ORDER: dict[str, int] = {
    "scheduled": 0,
    "accepted": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "receiving": 4,
    "received": 5,
    "partially_delivered": 5,
    "undelivered": 6,
    "failed": 6,
    "canceled": 6,
    "delivered": 7,
    "read": 8,
}
SMS_OUTCOMES: dict[str, Outcome] = {
    "delivered": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}
CALL_OUTCOMES: dict[str, Outcome] = {
    "completed": "delivered",
    "busy": "failed",
    "failed": "failed",
    "no-answer": "failed",
    "canceled": "failed",
}
CALL_FAILURES = {
    "busy": "the line was busy",
    "failed": "the call could not be placed",
    "no-answer": "nobody answered",
    "canceled": "the call was canceled before it was answered",
}

OPTED_OUT = 21610
ERROR_MEANINGS: dict[int, str] = {
    OPTED_OUT: "the number opted out of texts from this sender (replied STOP)",
    21211: "the To number is not a valid phone number",
    21408: "sending to this region is not enabled on the account",
    21612: "the To number cannot be reached from this sender",
    21614: "the To number is not a mobile number",
    30003: "the handset is unreachable",
    30004: "the message was blocked by the recipient or the carrier",
    30005: "the number is unknown or no longer in service",
    30006: "the number is a landline or its carrier cannot receive texts",
    30007: "the carrier filtered the message",
    30008: "the carrier reported an unknown error",
    63016: "a free-form WhatsApp message outside the 24-hour window (send a template)",
    63007: "no WhatsApp sender is registered for this From address",
    63024: "the recipient is not a valid WhatsApp user",
}
# Codes that say the recipient cannot get this text: sending again cannot help.
UNREACHABLE = frozenset({21211, 21612, 21614, 30003, 30004, 30005, 30006, 63024})
# WhatsApp refusals no retry can change (the window, the sender's registration).
WHATSAPP_FINAL = frozenset({63016, 63007})


def sms_outcome(status: str | None) -> Outcome | None:
    """The fact a message status callback carries, or None for an intermediate status
    (queued, sending, sent, accepted...) or one that adds nothing (read)."""
    return SMS_OUTCOMES.get((status or "").strip().lower())


def call_outcome(status: str | None) -> Outcome | None:
    """The fact a call status callback carries, or None while the call is still going."""
    return CALL_OUTCOMES.get((status or "").strip().lower())


def is_forward(current: str | None, new: str) -> bool:
    """Whether Twilio message status ``new`` comes after ``current`` (unknown: not forward)."""
    rank = SMS_ORDER.get(new)
    if rank is None:
        return False
    return current is None or rank > SMS_ORDER.get(current, -1)


def error_code(value: object) -> int | None:
    """An ``ErrorCode`` parameter as a number (None when absent or not a number)."""
    try:
        return int(str(value).strip()) if value not in (None, "") else None
    except ValueError:
        return None


def describe_error(code: int | None, fallback: str = "") -> str:
    """``"error 30003: the handset is unreachable"``; unknown codes keep Twilio's own text."""
    if code is None:
        return fallback or "no error code given"
    meaning = ERROR_MEANINGS.get(code) or fallback or "see twilio.com/docs/api/errors"
    return f"error {code}: {meaning}"


def send_error(http_status: int, code: int | None, message: str) -> ProviderError:
    """A failed request to Twilio's REST API as a :class:`ProviderError`.

    21610 (opted out) starts with ``opted_out:`` so later code can act on it; the unreachable
    and landline codes and other 4xx answers are final; 429 and 5xx answers may be retried.
    """
    text = describe_error(code, message)
    if code == OPTED_OUT:
        return ProviderError(f"opted_out: {text}", retryable=False)
    if code in UNREACHABLE:
        return ProviderError(f"unreachable: {text}", retryable=False)
    if code in WHATSAPP_FINAL:
        return ProviderError(f"twilio answered HTTP {http_status}: {text}", retryable=False)
    retryable = http_status == 429 or http_status >= 500
    return ProviderError(f"twilio answered HTTP {http_status}: {text}", retryable=retryable)
