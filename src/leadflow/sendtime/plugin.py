"""The sendtime feature's plugin: send nodes (text, e-mail, call) that honour ``timing:
optimal`` with the moment the lead's engagement history suggests."""

from __future__ import annotations

from leadflow.engine.handlers import (
    SendEmailHandler,
    SendSmsHandler,
    SendWhatsAppHandler,
    VoiceCallHandler,
)
from leadflow.engine.plugins import Plugin
from leadflow.sendtime.step import OptimalSendTime, SendTimes


def sendtime_plugin(send_times: SendTimes | None) -> Plugin:
    """``send_times``: the engagement history (:class:`~leadflow.sendtime.history.OutboxHistory`);
    without it every allowed hour looks alike."""
    timer = OptimalSendTime(send_times)
    return Plugin(
        "sendtime",
        handlers={
            "send_sms": SendSmsHandler(timer),
            "send_email": SendEmailHandler(timer),
            "voice_call": VoiceCallHandler(timer),
            "send_whatsapp": SendWhatsAppHandler(timer),
        },
    )


__all__ = ["sendtime_plugin"]
