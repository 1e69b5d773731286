"""How much work one run may cause: start_workflow depth, enrollments per contact per hour,
and the size and cost of each rendered message part.

The engine carries one :class:`Limits` (built from the ``LEADFLOW_*`` settings by the runtime);
handlers read it through their :class:`~leadflow.engine.context.StepContext`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leadflow.definitions.render_budget import RenderLimits

HOUR_S = 3600.0
CHAIN = "_chain"  # run context: the workflow keys that started this run, oldest first


# The rendered message parts: how errors name each one, and the setting that sets its length.
_SMS_BODY = ("SMS body", "LEADFLOW_MAX_SMS_CHARS")
_EMAIL_SUBJECT = ("e-mail subject", "LEADFLOW_MAX_EMAIL_SUBJECT_CHARS")
_EMAIL_BODY = ("e-mail body", "LEADFLOW_MAX_EMAIL_BODY_CHARS")
_OTHER = ("template", "LEADFLOW_RENDER_MAX_CHARS")


def _part(
    part: tuple[str, str], max_chars: int, steps: int = 100_000, ms: float = 250.0
) -> RenderLimits:
    what, setting = part
    return RenderLimits(max_chars, steps, ms / 1000, what, setting)


@dataclass(frozen=True, slots=True)
class Limits:
    """``max_depth``: how many start_workflow hops a chain may have (A -> B -> A ... stops
    there); ``enrollments_per_hour``: runs of one workflow per contact in any hour, counted in
    the store (0 = no cap). The render limits are per message part."""

    max_depth: int = 5
    enrollments_per_hour: int = 20
    sms_body: RenderLimits = field(default_factory=lambda: _part(_SMS_BODY, 1600))
    email_subject: RenderLimits = field(default_factory=lambda: _part(_EMAIL_SUBJECT, 998))
    email_body: RenderLimits = field(default_factory=lambda: _part(_EMAIL_BODY, 200_000))
    other: RenderLimits = field(default_factory=lambda: _part(_OTHER, 100_000))

    @classmethod
    def build(
        cls,
        *,
        max_depth: int = 5,
        enrollments_per_hour: int = 20,
        sms_chars: int = 1600,
        email_subject_chars: int = 998,
        email_body_chars: int = 200_000,
        other_chars: int = 100_000,
        render_steps: int = 100_000,
        render_ms: float = 250.0,
    ) -> Limits:
        return cls(
            max_depth,
            enrollments_per_hour,
            _part(_SMS_BODY, sms_chars, render_steps, render_ms),
            _part(_EMAIL_SUBJECT, email_subject_chars, render_steps, render_ms),
            _part(_EMAIL_BODY, email_body_chars, render_steps, render_ms),
            _part(_OTHER, other_chars, render_steps, render_ms),
        )

    def per_hour(self) -> int | None:
        """The enrollment cap to put on an enrollment request (None: no cap)."""
        return self.enrollments_per_hour or None
