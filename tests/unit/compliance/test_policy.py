from datetime import datetime
from zoneinfo import ZoneInfo

from leadflow.compliance.policy import CompliancePolicy
from leadflow.definitions.models import SendWindow, Settings
from leadflow.model.records import Contact, Message, Run

LA = ZoneInfo("America/Los_Angeles")


def at(text: str, tz: ZoneInfo = LA) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def msg(channel: str = "sms", created: float = 0.0) -> Message:
    return Message(1, "c1", "wf", "n1", channel, "+15555550100", "k", created, created)


def contact(**kw: object) -> Contact:
    base: dict[str, object] = {
        "id": "c1",
        "time_zone": "America/Los_Angeles",
        "phone": "+15555550100",
    }
    base.update(kw)
    return Contact(**base)  # type: ignore[arg-type]


def run(status: str = "waiting", ended_at: float | None = None) -> Run:
    return Run(1, "wf", 1, "c1", "n1", status, None, {}, ended_at=ended_at)


POLICY = CompliancePolicy()


def test_text_at_22_local_is_deferred_to_8_next_morning() -> None:
    now = at("2026-05-04T22:00")
    d = POLICY.check(msg(), contact(), run(), None, now)
    assert d.action == "defer" and d.until == at("2026-05-05T08:00")
    assert d.reason == "quiet_hours"


def test_email_is_not_bound_by_text_quiet_hours_but_by_workflow_window() -> None:
    now = at("2026-05-04T22:00")
    assert POLICY.check(msg("email"), contact(), run(), None, now).action == "send"
    window = Settings(send_window=SendWindow(start="09:00", end="17:00"))
    d = POLICY.check(msg("email"), contact(), run(), window, now)
    assert d.action == "defer" and d.until == at("2026-05-05T09:00")


def test_workflow_window_and_legal_window_intersect() -> None:
    window = Settings(send_window=SendWindow(start="06:00", end="23:00", weekdays=["sat"]))
    now = at("2026-05-08T07:00")  # Friday 7:00
    d = POLICY.check(msg(), contact(), run(), window, now)
    assert d.until == at("2026-05-09T08:00")  # Saturday, and not before 8:00


def test_opt_out_and_stopped_runs_suppress() -> None:
    now = at("2026-05-04T12:00")
    out = POLICY.check(msg(), contact(consent={"sms": "opted_out"}), run(), None, now)
    assert (out.action, out.reason) == ("suppress", "opted_out")
    paused = POLICY.check(msg(), contact(), run("paused"), None, now)
    assert (paused.action, paused.reason) == ("suppress", "run_paused")
    exited = POLICY.check(msg(created=now - 60), contact(), run("exited", now - 10), None, now)
    assert exited.action == "suppress"


def test_a_run_that_completed_still_sends_what_it_queued() -> None:
    now = at("2026-05-04T12:00")
    done = POLICY.check(msg(created=now - 60), contact(), run("completed", now - 10), None, now)
    assert done.action == "send"
    # exited in the same step that queued the message (an exit node right after a send)
    same = POLICY.check(msg(created=now), contact(), run("exited", now), None, now)
    assert same.action == "send"


def test_contact_without_zone_uses_the_workflows_default_zone() -> None:
    now = at("2026-05-04T06:30")  # 06:30 in Los Angeles, 09:30 in New York
    zoneless = contact(time_zone=None)
    in_la = Settings(default_timezone="America/Los_Angeles")
    d = POLICY.check(msg(), zoneless, run(), in_la, now)
    assert d.action == "defer" and d.until == at("2026-05-04T08:00")
    assert POLICY.check(msg(), zoneless, run(), None, now).action == "send"  # global default NY


def test_message_budget_defers_once_the_contact_had_enough_today() -> None:
    now = at("2026-05-04T12:00")
    policy = CompliancePolicy(budget_per_day=3)
    assert policy.check(msg(), contact(), run(), None, now, sent_24h=2).action == "send"
    d = policy.check(msg("email"), contact(), run(), None, now, sent_24h=3)
    assert (d.action, d.reason, d.until) == ("defer", "budget", now + 3600)
    off = CompliancePolicy(budget_per_day=0)
    assert off.check(msg(), contact(), run(), None, now, sent_24h=99).action == "send"
