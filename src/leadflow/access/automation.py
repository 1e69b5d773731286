"""AI drafting as one tenant sees it: a workflow from a sentence (validated, simulated, explained,
with a confidence from evidence), optionally saved as a draft; never published. And the
ledger of the tenant's model calls."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadflow.access.scope import WRITE_ROLES, require_role
from leadflow.access.workflows import RESERVED_KEYS, check, save_draft
from leadflow.ai.client import LlmClient, LlmConfig, month_start
from leadflow.ai.confidence import draft_confidence
from leadflow.ai.explain import explain
from leadflow.ai.generate import Generation, generate_workflow
from leadflow.definitions.io import canonical_data, dump_yaml
from leadflow.definitions.models import WorkflowDefinition
from leadflow.errors import InvalidInput, NotFound
from leadflow.model.ai import AiCall
from leadflow.tenancy.accounts import Principal

MAX_PROMPT = 4000
_CLIENTS: dict[tuple[int, LlmConfig], LlmClient] = {}
_CLIENTS_LOCK = threading.Lock()

if TYPE_CHECKING:
    from leadflow.runtime import Runtime
    from leadflow.simulate.draft import DraftSimulation


@dataclass(frozen=True)
class DraftOptions:
    key: str | None = None
    save: bool = False
    samples: int = 1  # 3: agreement of three model drafts (a model must be configured)
    simulate: bool = True
    leads: int = 50
    days: float = 14


def client_for(rt: Runtime) -> LlmClient | None:
    """The runtime's model client (one per store and configuration, so its cache and its
    concurrency limit are shared by every request), or None without a model."""
    config = LlmConfig.from_settings(rt.settings)
    if config is None:
        return None
    with _CLIENTS_LOCK:
        found = _CLIENTS.get((id(rt.store), config))
        if found is None or found.ledger is not rt.store:  # ids are reused after a store goes
            found = LlmClient(config, clock=rt.clock, ledger=rt.store)
            _CLIENTS[(id(rt.store), config)] = found
        return found


def _free_key(rt: Runtime, tenant_id: str, key: str, chosen: bool) -> str:
    if chosen:
        return key
    base, n = key[:56], 1
    taken = rt.store.get_draft, rt.store.get_workflow
    while key in RESERVED_KEYS or any(get(tenant_id, key) for get in taken):
        n += 1
        key = f"{base}-{n}"
    return key


def _sanity(sim: DraftSimulation | None, warnings: list[str]) -> float:
    if sim is None:
        return 0.5
    score = 1.0
    if sim.failures or sim.runs.get("failed"):
        score -= 1 / 3
    if any("unreachable" in w for w in warnings):
        score -= 1 / 3
    if sim.messages.get("failed") or sim.messages.get("suppressed"):
        score -= 1 / 3
    return max(0.0, score)


def draft_workflow(
    rt: Runtime, principal: Principal, prompt: str, options: DraftOptions, now: float
) -> dict[str, Any]:
    """A draft for ``prompt``: definition (YAML and JSON), validation, simulation summary,
    confidence with its parts, node explanations and warnings; saved as a draft when asked."""
    require_role(principal, WRITE_ROLES, "drafting a workflow")
    if not prompt.strip():
        raise InvalidInput("prompt: must not be empty")
    if len(prompt) > MAX_PROMPT:
        raise InvalidInput(f"prompt: at most {MAX_PROMPT} characters, got {len(prompt)}")
    if options.key in RESERVED_KEYS:
        raise InvalidInput(f"options.key: {options.key!r} is reserved by the API; choose another")
    if options.samples not in (1, 3):
        raise InvalidInput("options.samples: must be 1 or 3")
    tenant = principal.tenant_id
    client = client_for(rt)
    if client is not None and rt.store.get_tenant(tenant) is None:
        raise NotFound(
            f"tenant {tenant!r} does not exist, and model calls are accounted per tenant: create "
            f"it first (leadflow tenants create {tenant} --name ...)"
        )
    result: Generation = generate_workflow(
        prompt, client=client, tenant_id=tenant, key=options.key, samples=options.samples
    )
    out: dict[str, Any] = {
        "prompt": result.prompt,
        "source": result.source if result.definition is not None else None,
        "model": client.config.model if client is not None else None,
        "rounds": result.rounds,
        "usage": {
            "calls": result.calls,
            "cache_hits": result.cache_hits,
            "tokens_in": result.tokens_in,
            "tokens_out": result.tokens_out,
        },
        "warnings": list(result.warnings),
        "saved": None,
        "published": False,
    }
    if result.definition is None:
        out.update(
            workflow=None,
            yaml=None,
            validation={"valid": False, "errors": [result.refusal], "warnings": []},
            simulation=None,
            confidence=None,
            explanations=[],
        )
        return out
    definition = dict(result.definition)
    definition["key"] = _free_key(rt, tenant, str(definition["key"]), options.key is not None)
    checked = check(rt, tenant, definition)
    if not checked.ok:  # valid language, but not against this tenant's store: no draft
        out.update(
            workflow=None,
            yaml=None,
            validation={"valid": False, "errors": checked.errors, "warnings": checked.warnings},
            simulation=None,
            confidence=None,
            explanations=[],
            source=None,
        )
        return out
    parsed = WorkflowDefinition.model_validate(definition)
    data = canonical_data(parsed)
    sim: DraftSimulation | None = None
    if options.simulate:
        try:
            from leadflow.simulate.draft import simulate_draft  # the engine: when simulating

            sim = simulate_draft(data, leads=options.leads, days=options.days)
        except Exception as exc:  # a draft the engine refuses is reported, not a 5xx
            out["warnings"].append(f"simulation failed: {type(exc).__name__}: {exc}")
    warnings = out["warnings"] + checked.warnings
    if sim is not None:
        warnings += [f"simulation: {n}" for n in sim.notes]
        warnings += [f"simulation: {k} failed {v} time(s)" for k, v in sim.failures.items()]
    confidence = draft_confidence(
        result.prompt,
        result.intents,
        definition,
        validity=result.validity,
        agreement=result.agreement,
        sanity=_sanity(sim, checked.warnings),
        notes=result.notes,
        planner=result.source == "planner",
    ).as_dict()
    out.update(
        workflow=data,
        yaml=dump_yaml(parsed),
        validation={"valid": checked.ok, "errors": checked.errors, "warnings": checked.warnings},
        simulation=sim.summary() if sim is not None else None,
        confidence=confidence,
        explanations=explain(data),
        warnings=list(dict.fromkeys(warnings)),
    )
    if options.save:
        draft, _ = save_draft(rt, principal, data["key"], data, now)
        out["saved"] = {"key": draft.key, "as": "draft", "saved_at": draft.updated_at}
    return out


def list_calls(
    rt: Runtime, principal: Principal, since: float | None, limit: int
) -> tuple[list[AiCall], int]:
    """The tenant's model calls (newest first) and its tokens used this month."""
    calls = rt.store.list_ai_calls(principal.tenant_id, since, limit)
    used = rt.store.ai_tokens_used(principal.tenant_id, month_start(rt.clock.now()))
    return calls, used
