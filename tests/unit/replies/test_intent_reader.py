"""Reading replies: the compliance rules win (every opt-out their own tests list, and every
text of the shipped sets they catch, is ``opt_out`` whatever a model says); with a model server
configured its answer is used; on any failure (an error status, a server that is down, a slow
answer past the timeout, malformed JSON, an intent that does not exist, a confidence out of
range) the local model answers. The server is a loopback peer speaking
``/v1/chat/completions``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadflow.ai.client import LlmClient, LlmConfig
from leadflow.clock import VirtualClock
from leadflow.compliance.keywords import Intent, classify
from leadflow.model.tenancy import Tenant
from leadflow.replies.intent import PURPOSE, IntentReader
from leadflow.replies.model import load
from leadflow.store.memory import MemoryStore
from support.llm_peer import API_KEY, Reply, error, free_port_url, running_llm_peer
from unit.compliance.test_keywords import NOT_OPT_OUTS, OPT_OUTS

T0 = 1767571200.0


class SaysInterested:
    """A model that calls every reply ``interested`` (the rules must still win)."""

    def predict(self, texts: list[str]) -> list[tuple[str, float]]:
        return [("interested", 0.99) for _ in texts]


@pytest.fixture
def ledger() -> MemoryStore:
    store = MemoryStore()
    store.upgrade()
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    return store


def _client(url: str, ledger: MemoryStore, **kw: Any) -> LlmClient:
    kw.setdefault("max_retries", 0)
    config = LlmConfig(base_url=url, model="test-model", api_key=API_KEY, **kw)
    return LlmClient(config, clock=VirtualClock(T0), ledger=ledger, sleep=lambda s: None)


def _answer(intent: Any, confidence: Any) -> Reply:
    return Reply(content=json.dumps({"intent": intent, "confidence": confidence}))


def test_every_opt_out_of_the_rules_is_an_opt_out_whatever_the_model_says() -> None:
    reader = IntentReader(model=SaysInterested())  # type: ignore[arg-type]
    caught = OPT_OUTS + [
        e.text
        for name in ("replies.csv", "holdout.csv")
        for e in load(name)
        if e.intent == "opt_out"
    ]
    caught = [t for t in caught if classify(t) is Intent.OPT_OUT]
    assert len(caught) > 200
    readings = reader.read(caught)
    assert {(r.intent, r.source, r.confidence) for r in readings} == {("opt_out", "rules", 1.0)}
    # The provider's own reading (Twilio's OptOutType) counts as the rules do.
    (said,) = reader.read(["hello?"], provider_says=["STOP"])
    assert (said.intent, said.source) == ("opt_out", "rules")


def test_everyday_replies_that_contain_a_keyword_go_to_the_model() -> None:
    reader = IntentReader(model=SaysInterested())  # type: ignore[arg-type]
    texts = [t for t in NOT_OPT_OUTS if t.strip()]
    assert {r.source for r in reader.read(texts)} == {"model"}


def test_with_a_model_server_its_answer_is_used(ledger: MemoryStore) -> None:
    with running_llm_peer([_answer("needs_agent", 0.83)]) as peer:
        reader = IntentReader(_client(peer.base_url, ledger))
        (reading,) = reader.read(["can I get a call from the listing agent?"], "acme")
        assert peer.requests, "the server was asked"
        request = peer.requests[0]
        assert request["temperature"] == 0
        assert request["messages"][-1]["content"] == "can I get a call from the listing agent?"
    assert reading.as_dict() == {
        "text": "can I get a call from the listing agent?",
        "intent": "needs_agent",
        "confidence": 0.83,
        "source": "llm",
    }
    (call,) = ledger.list_ai_calls("acme")  # recorded in the tenant's ledger, with tokens
    assert (call.purpose, call.outcome, call.tokens_in) == (PURPOSE, "ok", 120)


def test_the_rules_answer_before_the_server_is_asked(ledger: MemoryStore) -> None:
    with running_llm_peer([_answer("interested", 0.9)]) as peer:
        reader = IntentReader(_client(peer.base_url, ledger))
        (reading,) = reader.read(["STOP"], "acme")
        assert peer.requests == []
    assert (reading.intent, reading.source) == ("opt_out", "rules")


@pytest.mark.parametrize(
    "reply",
    [
        error(500, "boom"),
        error(429, "slow down"),
        Reply(content="not json at all"),
        _answer("maybe_later", 0.9),
        _answer("question", 1.7),
        _answer("question", "high"),
        Reply(content=json.dumps({"intent": "question"})),
        Reply(content=json.dumps(["question", 0.9])),
    ],
    ids=[
        "500",
        "429",
        "not-json",
        "unknown-intent",
        "confidence>1",
        "confidence-text",
        "no-confidence",
        "not-an-object",
    ],
)
def test_a_failing_or_malformed_server_falls_back_to_the_local_model(
    ledger: MemoryStore, reply: Reply
) -> None:
    with running_llm_peer([reply]) as peer:
        reader = IntentReader(_client(peer.base_url, ledger))
        (reading,) = reader.read(["what's the HOA on that one?"], "acme")
        assert peer.requests
    assert (reading.intent, reading.source) == ("question", "model")
    assert 0 < reading.confidence <= 1


def test_a_server_that_is_down_or_too_slow_falls_back(ledger: MemoryStore) -> None:
    reader = IntentReader(_client(free_port_url(), ledger))
    (down,) = reader.read(["not now, maybe in the spring"], "acme")
    assert (down.intent, down.source) == ("not_now", "model")
    with running_llm_peer(
        [Reply(content='{"intent":"question","confidence":1}', delay_s=2.0)]
    ) as peer:
        slow = IntentReader(_client(peer.base_url, ledger, timeout_s=0.3))
        (reading,) = slow.read(["Can we see it Saturday at 2?"], "acme")
    assert (reading.intent, reading.source) == ("appointment_request", "model")
