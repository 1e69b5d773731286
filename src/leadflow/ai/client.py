"""The model client: any OpenAI-compatible ``/v1/chat/completions`` server, through the ``openai``
package (imported when the first call is made).

* Structured output with a fallback chain: ``response_format`` JSON Schema (strict) -> a forced
  tool call -> JSON mode. A server that refuses a mode (400/422) moves the client down the chain
  for good; the answer is parsed and validated on our side whatever the server claims.
* Retries with exponential backoff on 429 and 5xx, honouring ``Retry-After`` (capped); a hard
  timeout per request; a clear :class:`LlmError` when the server is down, keeps failing, or the
  tenant's monthly token budget is spent.
* Every call is recorded in the ledger (tenant, purpose, model, tokens in / out, latency, cache
  hit, outcome, mode); the API key never appears in a record, a log line or an error message.
* Identical requests within the TTL are answered by the :class:`~leadflow.ai.cache.AnswerCache`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Protocol

from leadflow.ai.cache import AnswerCache, cache_key
from leadflow.ai.stats import AI_STATS
from leadflow.clock import Clock, RealClock
from leadflow.errors import StoreError
from leadflow.model.ai import AiCall
from leadflow.settings import Settings

log = logging.getLogger("leadflow.ai")
MODES = ("json_schema", "tool", "json_object")
MAX_RETRY_AFTER_S = 30.0
TOOL_NAME = "emit_answer"


@dataclass(frozen=True, slots=True)
class _Ask:
    """One structured request as it goes down the modes and the retries."""

    tenant_id: str
    purpose: str
    messages: list[dict[str, Any]]
    schema: dict[str, Any]
    temperature: float
    max_tokens: int


class LlmError(Exception):
    """A call that produced no answer. ``kind``: down, timeout, rate_limited, server_error,
    over_budget, busy or refused; the message is safe to show (never the key)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Ledger(Protocol):
    def record_ai_call(self, call: AiCall) -> None: ...

    def ai_tokens_used(self, tenant_id: str, since: float) -> int: ...


def answer_or_reason(reasons: list[str], ask: Callable[[], LlmAnswer]) -> LlmAnswer | None:
    """``ask()``'s answer, or None with the reason there is none added to ``reasons`` (the call
    failed, or its ledger entry could not be written)."""
    try:
        return ask()
    except LlmError as exc:
        reasons.append(f"model: {exc}")
    except StoreError as exc:  # the call's ledger entry could not be written
        reasons.append(f"model: the call could not be recorded ({exc})")
    return None


def prefixed_settings(settings: Settings, prefix: str, names: Iterable[str]) -> dict[str, Any]:
    """``{name: settings.<prefix><name>}`` for each of ``names``: a configuration's fields read
    from the settings of the same names after ``prefix`` (``llm_``, ``orchestrate_``)."""
    return {name: getattr(settings, prefix + name) for name in names}


@dataclass(frozen=True)
class LlmConfig:
    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0
    max_concurrency: int = 4
    max_tokens: int = 2000
    monthly_token_budget: int = 2_000_000
    max_retries: int = 3
    cache_ttl_s: float = 120.0
    cache_size: int = 256

    def __repr__(self) -> str:  # the key stays out of reprs and logs
        return f"LlmConfig(base_url={self.base_url!r}, model={self.model!r}, api_key=***)"

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmConfig | None:
        """The configuration, or None when no model is configured (the planner answers)."""
        if not settings.llm_base_url:
            return None
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        tuning = (f.name for f in fields(cls) if f.name not in ("base_url", "model", "api_key"))
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=key,
            **prefixed_settings(settings, "llm_", tuning),
        )


@dataclass
class LlmAnswer:
    data: Any  # the parsed JSON answer, None when the text was not JSON
    text: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    cache_hit: bool
    mode: str


def month_start(now: float) -> float:
    day = datetime.fromtimestamp(now, UTC)
    return datetime(day.year, day.month, 1, tzinfo=UTC).timestamp()


class LlmClient:
    def __init__(
        self,
        config: LlmConfig,
        *,
        clock: Clock | None = None,
        ledger: Ledger | None = None,
        sleep: Callable[[float], None] = time.sleep,
        cache: AnswerCache | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or RealClock()
        self.ledger = ledger
        self.sleep = sleep
        self.cache = cache or AnswerCache(self.clock, config.cache_ttl_s, config.cache_size)
        self._slots = threading.BoundedSemaphore(config.max_concurrency)
        self._mode = 0
        self._sdk: Any = None
        self.requests = 0  # HTTP requests made (tests and the bench read it)

    # ------------------------------------------------------------------ plumbing
    def _openai(self) -> Any:
        if self._sdk is None:
            import openai  # heavy: imported at the first call only

            self._sdk = openai.OpenAI(
                base_url=self.config.base_url,
                api_key=self.config.api_key or "not-needed",
                timeout=self.config.timeout_s,
                max_retries=0,
            )
        return self._sdk

    def _safe(self, text: str) -> str:
        key = self.config.api_key
        return text.replace(key, "***") if key else text

    def _record(
        self,
        tenant_id: str,
        purpose: str,
        answer: LlmAnswer | None,
        outcome: str,
        latency_ms: float = 0.0,
        mode: str = "",
    ) -> None:
        AI_STATS.count(
            purpose,
            outcome,
            bool(answer and answer.cache_hit),
            answer.tokens_in if answer else 0,
            answer.tokens_out if answer else 0,
        )
        if self.ledger is None:
            return
        call = AiCall(
            id=uuid.uuid4().hex,
            tenant_id=tenant_id,
            at=self.clock.now(),
            purpose=purpose,
            model=self.config.model,
            tokens_in=answer.tokens_in if answer else 0,
            tokens_out=answer.tokens_out if answer else 0,
            latency_ms=round(answer.latency_ms if answer else latency_ms, 3),
            cache_hit=bool(answer and answer.cache_hit),
            outcome=outcome,
            mode=answer.mode if answer else mode,
        )
        try:
            self.ledger.record_ai_call(call)
        except Exception as exc:  # bookkeeping never costs the caller an answer it has
            log.warning("model call of %s not recorded: %s", purpose, type(exc).__name__)

    def _budget_left(self, tenant_id: str) -> int | None:
        if self.ledger is None:
            return None
        used = self.ledger.ai_tokens_used(tenant_id, month_start(self.clock.now()))
        return self.config.monthly_token_budget - used

    # ------------------------------------------------------------------ the call
    def complete_json(
        self,
        tenant_id: str,
        purpose: str,
        messages: list[dict[str, Any]],
        schema: dict[str, Any],
        *,
        temperature: float = 0.0,
        use_cache: bool = True,
    ) -> LlmAnswer:
        """One structured answer (``data`` parsed, not yet validated against ``schema``)."""
        key = cache_key(tenant_id, self.config.model, purpose, messages)
        if use_cache:
            hit = self.cache.get(key)
            if hit is not None:
                answer = LlmAnswer(hit.data, hit.text, 0, 0, 0.0, True, hit.mode)
                self._record(tenant_id, purpose, answer, "ok")
                return answer
        left = self._budget_left(tenant_id)
        if left is not None and left <= 0:
            self._record(tenant_id, purpose, None, "over_budget")
            raise LlmError(
                "over_budget",
                f"the monthly AI token budget of tenant {tenant_id!r} is spent "
                f"({self.config.monthly_token_budget} tokens); it renews on the 1st",
            )
        max_tokens = self.config.max_tokens if left is None else min(self.config.max_tokens, left)
        if not self._slots.acquire(timeout=self.config.timeout_s):
            self._record(tenant_id, purpose, None, "busy")
            raise LlmError("busy", "too many AI calls at once; try again shortly")
        try:
            ask = _Ask(tenant_id, purpose, messages, schema, temperature, max_tokens)
            answer = self._with_modes(ask)
        finally:
            self._slots.release()
        self._record(tenant_id, purpose, answer, "ok" if answer.data is not None else "invalid")
        if answer.data is not None and use_cache:
            self.cache.put(key, answer)
        return answer

    def _with_modes(self, ask: _Ask) -> LlmAnswer:
        import openai

        while True:
            mode = MODES[self._mode]
            try:
                return self._with_retries(ask, mode)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                status = exc.status_code
                if self._mode + 1 < len(MODES):
                    log.info(
                        "model server refused %s output (%s); trying %s",
                        mode,
                        status,
                        MODES[self._mode + 1],
                    )
                    self._mode += 1
                    continue
                self._record(ask.tenant_id, ask.purpose, None, "refused", mode=mode)
                raise LlmError(
                    "refused", f"the model server refused the request ({status})"
                ) from None

    def _with_retries(self, ask: _Ask, mode: str) -> LlmAnswer:
        import openai

        attempt = 0
        while True:
            started = time.monotonic()
            try:
                self.requests += 1
                return self._request(ask, mode, started)
            except openai.APITimeoutError:
                ms = (time.monotonic() - started) * 1000
                self._record(ask.tenant_id, ask.purpose, None, "timeout", ms, mode)
                raise LlmError(
                    "timeout", f"the model server did not answer within {self.config.timeout_s:g} s"
                ) from None
            except openai.APIConnectionError:
                self._record(ask.tenant_id, ask.purpose, None, "down", mode=mode)
                raise LlmError(
                    "down",
                    f"the model server at {self._safe(self.config.base_url)} cannot be reached",
                ) from None
            except (openai.BadRequestError, openai.UnprocessableEntityError):
                raise  # the mode was refused: the caller moves down the chain
            except openai.APIStatusError as exc:
                status = exc.status_code
                outcome = "rate_limited" if status == 429 else "server_error"
                retryable = status == 429 or status >= 500
                ms = (time.monotonic() - started) * 1000
                self._record(ask.tenant_id, ask.purpose, None, outcome, ms, mode)
                if not retryable or attempt >= self.config.max_retries:
                    what = "is rate-limiting us" if status == 429 else f"answered {status}"
                    raise LlmError(
                        outcome, f"the model server {what} (after {attempt + 1} attempts)"
                    ) from None
                self.sleep(self._delay(exc, attempt))
                attempt += 1

    def _delay(self, exc: Any, attempt: int) -> float:
        header = exc.response.headers.get("retry-after") if exc.response is not None else None
        if header:
            try:
                return max(0.0, min(float(str(header)), MAX_RETRY_AFTER_S))
            except ValueError:
                pass
        return float(min(0.5 * 2.0**attempt, MAX_RETRY_AFTER_S))

    def _request(self, ask: _Ask, mode: str, started: float) -> LlmAnswer:
        schema = ask.schema
        kwargs: dict[str, Any] = {
            "model": self.config.model,
            "messages": ask.messages,
            "temperature": ask.temperature,
            "max_tokens": ask.max_tokens,
        }
        if mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "strict": True, "schema": schema},
            }
        elif mode == "tool":
            kwargs["tools"] = [
                {
                    "type": "function",
                    "function": {"name": TOOL_NAME, "parameters": schema, "strict": True},
                }
            ]
            kwargs["tool_choice"] = {"type": "function", "function": {"name": TOOL_NAME}}
        else:
            kwargs["response_format"] = {"type": "json_object"}
        response = self._openai().chat.completions.create(**kwargs)
        latency_ms = (time.monotonic() - started) * 1000
        usage = getattr(response, "usage", None)
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
        text = ""
        choices = getattr(response, "choices", None) or []
        if choices:
            message = choices[0].message
            calls = getattr(message, "tool_calls", None) or []
            text = (calls[0].function.arguments if calls else message.content) or ""
        try:
            data = json.loads(_strip_fences(text))
        except ValueError:
            data = None
        return LlmAnswer(data, text, tokens_in, tokens_out, latency_ms, False, mode)


def _strip_fences(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    return stripped
