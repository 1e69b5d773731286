"""Whether an inbound e-mail is an automatic answer (an out-of-office notice, a vacation
responder, a ticket acknowledgement) rather than a person's reply (:func:`auto_reply_reason`).

Signs, any one of which is enough:

* RFC 3834 ``Auto-Submitted`` with any value but ``no`` (``auto-replied``, ``auto-generated``,
  ``auto-notified``);
* ``X-Autoreply`` / ``X-Autorespond`` / ``X-Autoresponse`` (set by many responders; any value
  but ``no``/``false``), Microsoft's ``X-Auto-Response-Suppress`` is *not* one (it asks others
  not to answer, a person's mail may carry it);
* ``Precedence: auto_reply``, ``bulk`` or ``junk`` (RFC 2076; vacation programs set it);
* a delivery report (a bounce: ``Content-Type: multipart/report``, RFC 6522) or a message
  from ``MAILER-DAEMON`` / ``postmaster``;
* a subject announcing an absence, in English or Spanish: "Out of office", "Automatic reply",
  "Auto-reply", "Autoreply", "Away from the office", "On vacation"; "Fuera de la oficina",
  "Respuesta automática", "Ausente", "De vacaciones". A "Re:" before it does not hide it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponse", "x-autoreply-from")
_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk"})
_SUBJECT = re.compile(
    r"^(?:(?:re|aw|rv|fw|fwd)\s*:\s*)*\[?\s*(?:out of (?:the )?office|automatic reply|"
    r"auto[- ]?reply|auto[- ]?response|away from (?:the )?office|on vacation|on holiday|"
    r"out of office auto|fuera de (?:la )?oficina|respuesta autom[áa]tica|"
    r"ausente|de vacaciones|estoy de vacaciones|autorespuesta)\b",
    re.IGNORECASE,
)

_DAEMON = re.compile(r"(?:^|[<\s\"])(?:mailer-daemon|postmaster)@")

# A header's value by name (case-insensitive), None when absent.
HeaderGetter = Callable[[str], str | None]


def auto_reply_reason(header: HeaderGetter, subject: str) -> str | None:
    """Why the e-mail is an automatic answer (the header or the subject that says so), or None
    for a person's reply."""
    submitted = (header("auto-submitted") or "").strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"Auto-Submitted: {submitted[:40]}"
    for name in _AUTO_HEADERS:
        value = header(name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return f"{name}: {value.strip()[:40]}"
    if (header("content-type") or "").strip().lower().startswith("multipart/report"):
        return "delivery report"
    sender = (header("from") or "").lower()
    if _DAEMON.search(sender):
        return "delivery report"
    precedence = (header("precedence") or "").strip().lower()
    if precedence in _PRECEDENCE:
        return f"Precedence: {precedence}"
    if _SUBJECT.match(subject.strip()):
        return "subject: out of office"
    return None


__all__ = ["HeaderGetter", "auto_reply_reason"]
