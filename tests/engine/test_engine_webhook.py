"""The webhook node against a real HTTP server on 127.0.0.1 (stdlib, in a thread)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadflow.channels.webhook import refused_reason
from support.engine_kit import DAY, HOUR, T0, Kit
from support.hook_server import hook_server


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep requests to 127.0.0.1 local whatever proxy the environment names."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


HOOK = """
key: crm
name: CRM sync
start: hook
nodes:
  - id: hook
    kind: webhook
    url: "{url}/leads/{{{{ contact.id }}}}"
    method: POST
    headers: {{X-Source: leadflow}}
    body: '{{"id": "{{{{ contact.id }}}}", "name": "{{{{ contact.first_name }}}}"}}'
    next: w
    {on_error}
  - {{id: w, kind: wait, duration: 1h, next: after}}
  - {{id: after, kind: send_sms, body: "Synced"}}
{extra}"""


def _hook(url: str, on_error: bool = False) -> str:
    if on_error:
        extra = '  - {id: oops, kind: send_email, subject: "CRM down", body: "Sync failed"}\n'
        return HOOK.format(url=url, on_error="on_error: oops", extra=extra)
    return HOOK.format(url=url, on_error="", extra="")


def test_webhook_posts_the_rendered_body_with_an_idempotency_key(make_kit: Any) -> None:
    kit: Kit = make_kit(webhook_allow_private=True)
    with hook_server() as server:
        kit.publish(_hook(server.url))
        kit.add_contact("c1", first_name="Ann")
        (rid,) = kit.enroll("crm", "c1")
        kit.settle()
        (req,) = server.received
    (msg,) = kit.messages(channel="webhook")
    assert (msg.status, msg.to) == ("delivered", f"{server.url}/leads/c1")
    assert req.method == "POST"
    assert req.path == "/leads/c1"
    assert json.loads(req.body) == {"id": "c1", "name": "Ann"}
    assert req.headers["Idempotency-Key"] == msg.idempotency_key == f"{rid}:hook:1"
    assert req.headers["X-Source"] == "leadflow"
    assert kit.run(rid).status == "waiting"
    assert kit.ledger() == []  # the webhook never touched the sandbox
    kit.run_until(T0 + DAY)
    assert kit.run(rid).status == "completed"


def test_webhook_to_a_private_address_is_refused_by_default(kit: Kit) -> None:
    with hook_server() as server:
        kit.publish(_hook(server.url))
        kit.add_contact("c1")
        (rid,) = kit.enroll("crm", "c1")
        kit.run_until(T0 + DAY)
        assert server.received == []
    (msg,) = kit.messages(channel="webhook")
    assert msg.status == "failed"
    assert msg.error is not None and "non-public address 127.0.0.1" in msg.error
    assert msg.attempts == 1  # refused for good, not retried
    run = kit.run(rid)
    assert run.status == "failed"
    assert run.error is not None and "non-public address" in run.error


def test_refused_webhook_takes_on_error(kit: Kit) -> None:
    with hook_server() as server:
        kit.publish(_hook(server.url, on_error=True))
        kit.add_contact("c1")
        (rid,) = kit.enroll("crm", "c1")
        kit.run_until(T0 + DAY)
        assert server.received == []
    assert [m.body for m in kit.messages(channel="email")] == ["Sync failed"]
    # The run waited at the webhook node for the verdict, then took on_error (not next).
    assert kit.outcomes(rid) == [("hook", "queued"), ("hook", "failed"), ("oops", "queued")]
    (msg,) = kit.messages(channel="webhook")
    assert msg.error is not None and "non-public address 127.0.0.1" in msg.error
    assert kit.steps(rid)[1].data == {"error": msg.error}
    assert kit.run(rid).status == "completed"


def test_server_error_is_retried_with_the_same_key(make_kit: Any) -> None:
    kit: Kit = make_kit(webhook_allow_private=True)
    with hook_server() as server:
        server.statuses.extend([500, 503])
        kit.publish(_hook(server.url))
        kit.add_contact("c1")
        kit.enroll("crm", "c1")
        kit.run_until(T0 + HOUR)
        keys = [r.headers["Idempotency-Key"] for r in server.received]
    (msg,) = kit.messages(channel="webhook")
    assert (msg.status, msg.attempts) == ("delivered", 3)
    assert keys == [msg.idempotency_key] * 3
    assert msg.sent_at is not None and msg.sent_at > T0


def test_client_error_is_not_retried(make_kit: Any) -> None:
    kit: Kit = make_kit(webhook_allow_private=True)
    with hook_server() as server:
        server.statuses.append(422)
        kit.publish(_hook(server.url, on_error=True))
        kit.add_contact("c1")
        (rid,) = kit.enroll("crm", "c1")
        kit.run_until(T0 + DAY)
        assert len(server.received) == 1
    (msg,) = kit.messages(channel="webhook")
    assert msg.status == "failed"
    assert msg.error == "webhook POST answered HTTP 422"
    assert msg.attempts == 1
    assert kit.outcomes(rid) == [("hook", "queued"), ("hook", "failed"), ("oops", "queued")]
    assert kit.steps(rid)[1].data == {"error": "webhook POST answered HTTP 422"}
    assert [m.body for m in kit.messages(channel="email")] == ["Sync failed"]
    assert kit.run(rid).status == "completed"


def test_webhook_with_on_error_waits_for_its_answer_then_goes_on(make_kit: Any) -> None:
    kit: Kit = make_kit(webhook_allow_private=True)
    with hook_server() as server:
        server.statuses.append(503)  # retried: the run keeps waiting at the node meanwhile
        kit.publish(_hook(server.url, on_error=True))
        kit.add_contact("c1")
        (rid,) = kit.enroll("crm", "c1")
        kit.settle(T0)
        run = kit.run(rid)
        assert (run.status, run.node, run.waiting_for, run.wake_at) == (
            "waiting",
            "hook",
            "_verdict",
            None,
        )
        kit.run_until(T0 + DAY)
        assert len(server.received) == 2
    assert kit.outcomes(rid) == [
        ("hook", "queued"),
        ("hook", "delivered"),
        ("w", "waiting"),
        ("w", "timer"),
        ("after", "queued"),
    ]
    assert kit.messages(channel="email") == []
    assert kit.run(rid).status == "completed"


def test_malformed_webhook_host_fails_only_its_message(kit: Kit) -> None:
    kit.publish(
        """
key: bad
name: Bad host
start: a
nodes:
  - {id: a, kind: send_sms, body: "Hello", next: hook}
  - {id: hook, kind: webhook, url: "http://crm..example.com/leads", on_error: fallback}
  - {id: fallback, kind: exit, reason: crm_failed}
"""
    )
    kit.add_contact("c1")
    (rid,) = kit.enroll("bad", "c1")
    try:
        kit.run_until(T0 + DAY)
    finally:
        statuses = {m.channel: m.status for m in kit.messages()}
    assert statuses == {"sms": "delivered", "webhook": "failed"}
    (hook,) = kit.messages(channel="webhook")
    assert hook.error is not None and "crm..example.com" in hook.error
    run = kit.run(rid)
    assert (run.status, run.exit_reason) == ("exited", "crm_failed")
    assert [o for n, o in kit.outcomes(rid) if n == "hook"] == ["queued", "failed"]


def test_refused_webhook_takes_on_error_even_when_nothing_waits_after_it(kit: Kit) -> None:
    with hook_server() as server:
        kit.publish(
            f"""
key: sync
name: Sync then done
start: hook
nodes:
  - {{id: hook, kind: webhook, url: "{server.url}/leads", on_error: alert, next: done}}
  - {{id: done, kind: update_contact, add_tags: [synced]}}
  - {{id: alert, kind: send_email, subject: "CRM sync failed", body: "Please check"}}
"""
        )
        kit.add_contact("c1")
        (rid,) = kit.enroll("sync", "c1")
        kit.run_until(T0 + DAY)
        assert server.received == []
    assert kit.messages(channel="webhook")[0].status == "failed"
    # The run waited at the webhook for its verdict, so the on_error edge ran and "done" never.
    assert kit.outcomes(rid) == [("hook", "queued"), ("hook", "failed"), ("alert", "queued")]
    assert [m.body for m in kit.messages(channel="email")] == ["Please check"]
    assert kit.contact("c1").tags == []
    assert kit.run(rid).status == "completed"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hook",
        "http://127.1/hook",
        "http://2130706433/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.8/hook",
    ],
)
def test_ssrf_guard_refuses_private_targets_in_any_spelling(url: str) -> None:
    reason = refused_reason(url, allow_private=False)
    assert reason is not None and "non-public address" in reason
    assert refused_reason(url, allow_private=True) is None


@pytest.mark.parametrize("url", ["http://100.100.100.200/latest/meta-data", "http://100.64.0.1/"])
def test_ssrf_guard_refuses_shared_address_space(url: str) -> None:
    assert refused_reason(url, allow_private=False) is not None
