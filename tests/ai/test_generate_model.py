"""Workflow generation against a loopback OpenAI-compatible server with scripted answers: a good
answer, malformed JSON, a schema ignored, an unknown node kind, an edge to a missing node, 429
then success, a timeout, 500s and a server that is down. Every case ends in a valid draft (from
the model, a repair or the planner) or a clear refusal, never publishes anything, and every call
is in the ledger with its tokens; the cache answers a second identical request."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from leadflow.ai.client import LlmClient, LlmConfig, LlmError
from leadflow.ai.generate import generate_workflow
from leadflow.ai.planner import plan_workflow
from leadflow.clock import VirtualClock
from leadflow.definitions.validation import validate
from leadflow.model.tenancy import Tenant
from leadflow.store.memory import MemoryStore
from support.llm_peer import API_KEY, Reply, error, free_port_url, good, running_llm_peer

T0 = 1767571200.0
PROMPT = "Text new leads right away, wait 2 hours, then send an email."


def good_definition() -> dict[str, Any]:
    draft = plan_workflow(PROMPT, key="model-draft")
    assert draft.report.ok
    return draft.definition


@pytest.fixture
def ledger() -> MemoryStore:
    store = MemoryStore()
    store.upgrade()
    store.create_tenant(Tenant("acme", "Acme Realty"), T0)
    return store


class TickingClock(VirtualClock):
    """Moves on a millisecond at each reading, so the ledger's order is the calls' order."""

    def now(self) -> float:
        self.advance(0.001)
        return super().now()


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(url: str, ledger: MemoryStore, clock: VirtualClock | None = None, **kw: Any):
    config = LlmConfig(base_url=url, model="test-model", api_key=API_KEY, **kw)
    sleeps = Sleeps()
    client = LlmClient(config, clock=clock or TickingClock(T0), ledger=ledger, sleep=sleeps)
    return client, sleeps


def outcomes(ledger: MemoryStore) -> list[str]:
    return [c.outcome for c in reversed(ledger.list_ai_calls("acme"))]


def assert_valid_unpublished(result: Any, ledger: MemoryStore) -> None:
    assert result.refusal is None
    assert result.definition is not None and validate(result.definition).ok
    assert ledger.list_workflows() == []


def test_a_good_answer_is_the_draft_with_its_tokens_accounted(ledger: MemoryStore) -> None:
    with running_llm_peer([good(good_definition(), tokens=(321, 123))]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert (result.source, result.rounds, result.validity) == ("model", 1, 1.0)
    assert (result.tokens_in, result.tokens_out) == (321, 123)
    assert ledger.ai_tokens_used("acme", T0) == 444
    (call,) = ledger.list_ai_calls("acme")
    assert (call.purpose, call.model, call.outcome, call.mode) == (
        "workflow", "test-model", "ok", "json_schema"
    )  # fmt: skip
    request = peer.requests[0]
    fmt = request["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])


def test_the_cache_answers_a_second_identical_request_without_a_request(
    ledger: MemoryStore,
) -> None:
    clock = VirtualClock(T0)
    with running_llm_peer([good(good_definition())]) as peer:
        client, _ = client_for(peer.base_url, ledger, clock)
        first = generate_workflow(PROMPT, client=client, tenant_id="acme")
        clock.advance(1)
        again = "  text NEW leads right away, wait 2 hours,  then send an email. "
        second = generate_workflow(again, client=client, tenant_id="acme")
        assert len(peer.requests) == 1
        assert second.definition == first.definition and second.cache_hits == 1
        assert (second.tokens_in, second.tokens_out) == (0, 0)
        clock.advance(120.5)  # past the 120 s TTL: asked again
        generate_workflow(PROMPT, client=client, tenant_id="acme")
        assert len(peer.requests) == 2
    hits = [c.cache_hit for c in reversed(ledger.list_ai_calls("acme"))]
    assert hits == [False, True, False]
    assert ledger.ai_tokens_used("acme", T0) == 400


def test_malformed_json_goes_back_with_the_error_and_the_next_round_counts(
    ledger: MemoryStore,
) -> None:
    script = [Reply(content='{"key": "x", "nodes": [ {oops'), good(good_definition())]
    with running_llm_peer(script) as peer:
        client, _ = client_for(peer.base_url, ledger)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert (result.source, result.rounds, result.validity) == ("model", 2, 0.7)
    feedback = peer.requests[1]["messages"][-1]["content"]
    assert "not a JSON object" in feedback
    assert outcomes(ledger) == ["invalid", "ok"]
    assert ledger.ai_tokens_used("acme", T0) == 400


def test_a_schema_ignored_three_times_falls_back_to_the_planner(ledger: MemoryStore) -> None:
    with running_llm_peer([Reply(content=json.dumps({"workflow": "send a text"}))]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert (result.source, result.rounds) == ("planner", 3)
    assert len(peer.requests) == 3
    assert "key" in peer.requests[1]["messages"][-1]["content"]  # the validator's errors went back
    assert any("stayed invalid after 3 rounds" in w for w in result.warnings)
    assert [n["kind"] for n in result.definition["nodes"]][:3] == ["send_sms", "wait", "send_email"]
    assert ledger.ai_tokens_used("acme", T0) == 600


def test_an_unknown_node_kind_close_to_one_real_kind_is_repaired(ledger: MemoryStore) -> None:
    bad = good_definition()
    bad["nodes"][0]["kind"] = "send_smss"
    with running_llm_peer([good(bad)]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert (result.source, result.validity) == ("repaired", 0.5)
    assert result.definition["nodes"][0]["kind"] == "send_sms"
    assert "send_smss" in peer.requests[1]["messages"][-1]["content"]


def test_a_made_up_node_kind_is_not_guessed(ledger: MemoryStore) -> None:
    bad = good_definition()
    bad["nodes"][0]["kind"] = "carrier_pigeon"
    with running_llm_peer([good(bad)]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert result.source == "planner"


def test_an_edge_to_a_missing_node(ledger: MemoryStore) -> None:
    close = good_definition()
    close["nodes"][0]["next"] = "wait_01"  # one real id is close: wait_1
    far = copy.deepcopy(good_definition())
    far["nodes"][0]["next"] = "nowhere"
    with running_llm_peer([good(close)]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        repaired = generate_workflow(PROMPT, client=client, tenant_id="acme")
    with running_llm_peer([good(far)]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        replanned = generate_workflow(PROMPT + " ", client=client, tenant_id="acme")
    assert_valid_unpublished(repaired, ledger)
    assert repaired.source == "repaired" and repaired.definition["nodes"][0]["next"] == "wait_1"
    assert_valid_unpublished(replanned, ledger)
    assert replanned.source == "planner"


def test_429_then_success_waits_as_told(ledger: MemoryStore) -> None:
    script = [error(429, "slow down", **{"Retry-After": "7"}), good(good_definition())]
    with running_llm_peer(script) as peer:
        client, sleeps = client_for(peer.base_url, ledger)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert result.source == "model"
    assert sleeps == [7.0]
    assert outcomes(ledger) == ["rate_limited", "ok"]


def test_500s_are_retried_with_backoff_then_the_planner_answers(ledger: MemoryStore) -> None:
    with running_llm_peer([error(503, "overloaded")]) as peer:
        client, sleeps = client_for(peer.base_url, ledger, max_retries=3)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert result.source == "planner"
    assert len(peer.requests) == 4 and sleeps == [0.5, 1.0, 2.0]
    assert outcomes(ledger) == ["server_error"] * 4
    assert any("answered 503" in w for w in result.warnings)


def test_a_timeout_is_hard_and_the_planner_answers(ledger: MemoryStore) -> None:
    with running_llm_peer([Reply(content="{}", delay_s=1.5)]) as peer:
        client, _ = client_for(peer.base_url, ledger, timeout_s=0.3)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert result.source == "planner"
    assert any("did not answer within 0.3 s" in w for w in result.warnings)
    assert outcomes(ledger) == ["timeout"]


def test_a_server_that_is_down(ledger: MemoryStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client, _ = client_for(free_port_url(), ledger)
    result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert result.source == "planner"
    assert any("cannot be reached" in w for w in result.warnings)
    assert outcomes(ledger) == ["down"]
    with pytest.raises(LlmError) as raised:
        client.complete_json("acme", "workflow", [{"role": "user", "content": "x"}], {})
    assert raised.value.kind == "down"
    assert API_KEY not in str(raised.value) and API_KEY not in caplog.text
    assert API_KEY not in repr(client.config) and API_KEY not in " ".join(result.warnings)


def test_over_budget_is_refused_before_any_request(ledger: MemoryStore) -> None:
    with running_llm_peer([good(good_definition(), tokens=(150, 60))]) as peer:
        client, _ = client_for(peer.base_url, ledger, monthly_token_budget=200)
        first = generate_workflow(PROMPT, client=client, tenant_id="acme")
        other = "Email new leads every week for 4 weeks."
        second = generate_workflow(other, client=client, tenant_id="acme")
    assert first.source == "model"
    assert_valid_unpublished(second, ledger)
    assert second.source == "planner" and len(peer.requests) == 1
    assert any("budget" in w and "spent" in w for w in second.warnings)
    assert outcomes(ledger) == ["ok", "over_budget"]


def test_a_server_refusing_json_schema_gets_a_tool_call(ledger: MemoryStore) -> None:
    answer = Reply(tool_arguments=json.dumps(good_definition()), refuse_modes=("json_schema",))
    with running_llm_peer([answer]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme")
    assert_valid_unpublished(result, ledger)
    assert result.source == "model"
    assert [r.get("tools") is not None for r in peer.requests] == [False, True]
    assert ledger.list_ai_calls("acme")[0].mode == "tool"


def test_no_model_means_the_planner_and_nonsense_is_refused() -> None:
    result = generate_workflow(PROMPT, client=None, tenant_id="acme")
    assert result.source == "planner" and result.definition is not None
    refused = generate_workflow("purple monkey dishwasher", client=None, tenant_id="acme")
    assert refused.definition is None
    assert refused.refusal is not None and "trigger or an action" in refused.refusal


def test_three_samples_measure_agreement(ledger: MemoryStore) -> None:
    same = good_definition()
    other = plan_workflow("Email new leads every week for 4 weeks.", key="model-draft").definition
    with running_llm_peer([good(same), good(same), good(other)]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        result = generate_workflow(PROMPT, client=client, tenant_id="acme", samples=3)
    assert result.source == "model" and len(peer.requests) == 3
    assert [r["temperature"] for r in peer.requests] == [0.0, 0.7, 0.7]
    assert result.agreement is not None and 0.2 < result.agreement < 1.0
    assert result.calls == 3 and ledger.ai_tokens_used("acme", T0) == 600


def test_an_answer_is_kept_when_the_call_cannot_be_recorded(
    ledger: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    # "default" has no tenants row in this store: the ledger refuses the call's record (as the
    # SQL backends' foreign key does), and the draft the server answered is still the answer.
    with running_llm_peer([good(good_definition(), tokens=(10, 5))]) as peer:
        client, _ = client_for(peer.base_url, ledger)
        with caplog.at_level(logging.WARNING, logger="leadflow.ai"):
            result = generate_workflow(PROMPT, client=client, tenant_id="default")
    assert (result.source, result.rounds) == ("model", 1)
    assert len(peer.requests) == 1
    assert ledger.list_ai_calls("default") == []
    assert any("not recorded" in r.getMessage() for r in caplog.records)
    assert API_KEY not in caplog.text
