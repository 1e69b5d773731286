"""ai_compose on every backend: the text is chosen once per run visit and kept before the
message is queued, so neither a worker that dies before its step commits nor one that dies
after sending sends a different text or sends twice; each visit gets its own text. The model
is a loopback chat-completions server (tests/support/llm_peer.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.compose import GOOD, HELLO, TEMPLATE_TEXT, draft, model_settings, sent_text, stock
from support.engine_kit import DAY, T0, Kit
from support.llm_peer import LlmPeer, running_llm_peer

OTHER = GOOD.replace("Want to see it?", "Shall we tour it?")


class PowerCut(BaseException):
    """The process dies here (nothing in the worker catches it)."""


@pytest.fixture
def peer() -> Iterator[LlmPeer]:
    with running_llm_peer() as found:
        yield found


def test_the_draft_goes_out_and_the_exact_text_is_kept(make_kit: Any, peer: LlmPeer) -> None:
    peer.script = [draft(GOOD)]
    kit: Kit = stock(make_kit(**model_settings(peer.base_url)))
    kit.publish(HELLO)
    [run] = kit.enroll("hello", "ann")
    kit.settle()
    [message] = kit.messages(contact_id="ann")
    assert (message.body, message.status) == (GOOD, "delivered")
    assert [d.body for d in kit.ledger()] == [GOOD]
    [kept] = kit.store.compose_drafts("default", "ann")
    assert (kept.body, kept.source, kept.step_key) == (GOOD, "model", message.idempotency_key)
    assert ("text", "queued") in kit.outcomes(run)


def test_a_crash_before_the_step_commits_sends_the_kept_text_once(
    make_kit: Any, peer: LlmPeer
) -> None:
    """The worker drafts, keeps the draft, then dies before its step commits; the model would
    answer differently the second time, but the step executed again sends the kept text."""
    peer.script = [draft(GOOD), draft(OTHER)]
    kit: Kit = stock(make_kit(**model_settings(peer.base_url)))
    kit.publish(HELLO)
    kit.enroll("hello", "ann")
    store = kit.store
    real = store.commit_advances

    def crash(owner: str, advances: Any, now: float) -> Any:
        if any(m.node == "text" for a in advances for m in a.messages):
            store.commit_advances = real  # type: ignore[method-assign]
            raise PowerCut()
        return real(owner, advances, now)

    store.commit_advances = crash  # type: ignore[method-assign]
    with pytest.raises(PowerCut):
        kit.settle()
    assert kit.messages(contact_id="ann") == []  # nothing queued, nothing sent
    assert len(peer.requests) == 1

    restarted = kit.other_worker("t2")
    store.release_leases("t")  # the dead worker's work is freed
    for _ in range(10):
        if not kit.tick(T0 + 120, worker=restarted):
            break
    assert sent_text(kit) == [GOOD]
    assert [d.body for d in kit.ledger()] == [GOOD]
    assert len(peer.requests) == 1  # drafted once for the visit


def test_a_crash_after_sending_never_sends_again_nor_differently(
    make_kit: Any, peer: LlmPeer
) -> None:
    peer.script = [draft(GOOD), draft(OTHER)]
    kit: Kit = stock(make_kit(**model_settings(peer.base_url)))
    kit.publish(HELLO)
    kit.enroll("hello", "ann")
    store = kit.store
    real = store.update_messages

    def crash(*args: Any, **kwargs: Any) -> None:
        store.update_messages = real  # type: ignore[method-assign]
        raise PowerCut()

    store.update_messages = crash  # type: ignore[method-assign]
    with pytest.raises(PowerCut):
        kit.settle()
    assert [d.body for d in kit.ledger()] == [GOOD]  # the provider has it, the verdict is lost
    kit.settle(T0 + 61)  # the lease expires: reconciled by its key, not sent again
    [message] = kit.messages(contact_id="ann")
    assert (message.body, message.status, message.duplicates) == (GOOD, "delivered", 0)
    assert [d.body for d in kit.ledger()] == [GOOD]
    assert len(peer.requests) == 1


LOOP = """
key: loop
name: Weekly
start: text
nodes:
  - id: text
    kind: ai_compose
    brief: "A short weekly check-in."
    body: "Hi {{ contact.first_name }}, Sam Lee here, still looking? Reply STOP to opt out"
    next: week
  - {id: week, kind: wait, duration: 7d, next: text}
"""


def test_each_visit_gets_its_own_text_and_without_a_model_the_template(
    make_kit: Any, peer: LlmPeer
) -> None:
    peer.script = [
        draft("Hi Ann, Sam Lee here. Reply STOP to opt out"),
        draft("Ann, any questions this week? Sam Lee"),
    ]
    kit: Kit = stock(make_kit(**model_settings(peer.base_url)))
    kit.publish(LOOP)
    kit.enroll("loop", "ann")
    kit.run_until(T0 + 7 * DAY + 60)
    assert sent_text(kit) == [
        "Hi Ann, Sam Lee here. Reply STOP to opt out",
        "Ann, any questions this week? Sam Lee",  # not a first text: no sender/STOP needed
    ]
    keys = [m.idempotency_key for m in kit.messages(contact_id="ann")]
    assert len(set(keys)) == 2

    plain: Kit = stock(make_kit())
    plain.publish(HELLO)
    plain.enroll("hello", "ann")
    plain.settle()
    assert sent_text(plain) == [TEMPLATE_TEXT]
