"""The outbound operations, as one plain function any caller can use (the ``crm`` node, a rule
action, the CLI): :func:`perform`.

Idempotent by construction: the change is recorded under its idempotency key (``pending``)
*before* the first call; a key already ``done`` (or ``failed`` for good) returns the stored
delivery without calling the CRM, and a ``pending`` one (a crash, a retryable failure) is tried
again through writes that are safe to repeat -- an upsert matched by e-mail / phone, tags added
as a set, a stage set, and a note or task looked for (by the reference derived from the key)
before it is made. Every HTTP call is appended to the delivery's ``calls``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.clock import Clock
from leadflow.errors import InvalidInput
from leadflow.integrations.api import CrmApi, ref_of
from leadflow.integrations.config import FubConfig, GhlConfig, check_crm, parse_config
from leadflow.integrations.fub import FubApi, fub_auth, fub_headers
from leadflow.integrations.ghl import GhlApi, ghl_headers
from leadflow.integrations.http import CrmError, CrmHttp, Sleep, backoff
from leadflow.integrations.ratelimit import Buckets
from leadflow.model.crm import CrmDelivery, NewCrmDelivery
from leadflow.model.records import Contact
from leadflow.store.contract import Store

Operation = Literal["upsert_contact", "add_note", "add_tag", "create_task", "move_stage"]
OPERATIONS: tuple[str, ...] = (
    "upsert_contact",
    "add_note",
    "add_tag",
    "create_task",
    "move_stage",
)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpsertParams(_Params):
    pass


class NoteParams(_Params):
    body: str = Field(min_length=1, max_length=20_000)


class TagParams(_Params):
    tags: list[str] = Field(min_length=1, max_length=50)


class TaskParams(_Params):
    title: str = Field(min_length=1, max_length=500)
    body: str | None = Field(default=None, max_length=20_000)
    due_in_s: float = Field(default=86_400, ge=0, le=366 * 86_400)


class StageParams(_Params):
    stage: str = Field(min_length=1, max_length=200, description="Stage id (or FUB stage name).")
    pipeline_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=500, description="A new deal's name.")


PARAMS: dict[str, type[_Params]] = {
    "upsert_contact": UpsertParams,
    "add_note": NoteParams,
    "add_tag": TagParams,
    "create_task": TaskParams,
    "move_stage": StageParams,
}


def check_params(operation: str, params: Any) -> _Params:
    """The operation's checked parameters; InvalidInput naming the field and problem."""
    model = PARAMS.get(operation)
    if model is None:
        raise InvalidInput(f"operation {operation!r} is not one of: {', '.join(OPERATIONS)}")
    if not isinstance(params, dict):
        raise InvalidInput("params must be an object")
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"params.{where}: {first['msg']}") from None


@dataclass(slots=True)
class CrmLink:
    """What a call to a CRM needs besides the change: the store, the clock, the rate-limit
    buckets (one per process), how to wait, and optionally the HTTP client."""

    store: Store
    clock: Clock
    buckets: Buckets
    sleep: Sleep
    client: httpx.Client | None = None

    def api(self, tenant_id: str, crm: str) -> CrmApi:
        """The tenant's connector as an API; CrmError (final) when it has none."""
        connector = self.store.get_crm_connector(tenant_id, check_crm(crm))
        if connector is None:
            raise CrmError(f"no {crm} connector is configured for this tenant", retryable=False)
        config = parse_config(crm, connector.config)
        if isinstance(config, GhlConfig):
            http = self._http(tenant_id, crm, config, ghl_headers(config), None)
            return GhlApi(config, http)
        assert isinstance(config, FubConfig)
        http = self._http(tenant_id, crm, config, fub_headers(config), fub_auth(config))
        return FubApi(config, http)

    def _http(
        self,
        tenant_id: str,
        crm: str,
        config: GhlConfig | FubConfig,
        headers: dict[str, str],
        auth: tuple[str, str] | None,
    ) -> CrmHttp:
        return CrmHttp(
            crm=crm,
            tenant_id=tenant_id,
            base_url=config.base_url,
            headers=headers,
            auth=auth,
            rate_per_10s=config.rate_per_10s,
            max_attempts=config.max_attempts,
            buckets=self.buckets,
            clock=self.clock,
            sleep=self.sleep,
            client=self.client,
        )


def contact_values(contact: Contact, field_map: dict[str, str]) -> dict[str, Any]:
    """The contact as the adapters take it (custom fields by the connector's field map)."""
    values: dict[str, Any] = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "tags": list(contact.tags),
        "source": contact.fields.get("source"),
    }
    custom = {remote: contact.fields[k] for k, remote in field_map.items() if k in contact.fields}
    if custom:
        values["custom"] = custom
    return values


def _field_map(api: CrmApi) -> dict[str, str]:
    config = getattr(api, "config", None)
    return dict(getattr(config, "field_map", {}) or {})


def ensure_remote(link: CrmLink, api: CrmApi, tenant_id: str, contact: Contact) -> str:
    """The contact's CRM id: the stored link, else upserted (and linked)."""
    found = link.store.crm_remote_id(tenant_id, api.crm, contact.id)
    if found is not None:
        return found
    remote = api.upsert_contact(contact_values(contact, _field_map(api)), None)
    link.store.link_crm_contact(tenant_id, api.crm, contact.id, remote)
    return remote


def perform(
    link: CrmLink,
    tenant_id: str,
    crm: str,
    operation: str,
    contact: Contact,
    params: dict[str, Any],
    idempotency_key: str,
) -> CrmDelivery:
    """Make one change in the tenant's CRM for ``contact`` (of that tenant), once.

    Returns the delivery (status ``done``). Raises InvalidInput for a bad operation or
    parameters (nothing recorded), and CrmError when the CRM refused (``retryable``: the
    delivery stays ``pending`` and a later call with the same key tries again; otherwise it is
    ``failed``)."""
    check_crm(crm)
    if contact.tenant_id != tenant_id:
        raise InvalidInput("contact: not found in this tenant")
    checked = check_params(operation, params)
    api = link.api(tenant_id, crm)  # no connector: refused before anything is recorded
    store, now = link.store, link.clock.now()
    delivery, _ = store.begin_crm_delivery(
        NewCrmDelivery(
            tenant_id, crm, operation, idempotency_key, contact.id, checked.model_dump()
        ),
        now,
    )
    if delivery.status in ("done", "failed"):
        return delivery  # made before (or refused for good): the CRM is not called again
    http: CrmHttp = api.http  # type: ignore[attr-defined]
    previous = delivery.attempts
    try:
        remote = _with_rounds(
            http,
            link.sleep,
            lambda: _apply(link, api, contact, checked, idempotency_key, delivery.created_at),
        )
    except CrmError as exc:
        outcome = http.outcome(previous, failure=exc)
        store.finish_crm_delivery(tenant_id, delivery.id, outcome, link.clock.now())
        raise
    outcome = http.outcome(previous, remote_id=remote)
    store.finish_crm_delivery(tenant_id, delivery.id, outcome, link.clock.now())
    done = [d for d in store.list_crm_deliveries(tenant_id, crm, delivery.id + 1, 1)]
    return done[0] if done and done[0].id == delivery.id else delivery


def _with_rounds(http: CrmHttp, sleep: Sleep, step: Callable[[], str]) -> str:
    """``step`` again (with backoff) after a retryable failure of a call that could not be
    repeated in place, at most ``max_attempts`` calls in all: each round reads before it
    writes, so a create whose answer was lost is found, not made twice."""
    rounds = 0
    while True:
        rounds += 1
        try:
            return step()
        except CrmError as exc:
            if not exc.retryable or len(http.calls) >= http.max_attempts:
                raise
            sleep(backoff(rounds))


def _apply(
    link: CrmLink, api: CrmApi, contact: Contact, params: _Params, key: str, begun_at: float
) -> str:
    """The change itself; times derive from when it was first recorded (``begun_at``), so a
    repeat asks for the same task due time and finds the task it made."""
    tenant_id = contact.tenant_id
    if isinstance(params, UpsertParams):
        known = link.store.crm_remote_id(tenant_id, api.crm, contact.id)
        remote = api.upsert_contact(contact_values(contact, _field_map(api)), known)
        link.store.link_crm_contact(tenant_id, api.crm, contact.id, remote)
        return remote
    remote = ensure_remote(link, api, tenant_id, contact)
    ref = ref_of(key)
    if isinstance(params, NoteParams):
        return api.add_note(remote, params.body, ref)
    if isinstance(params, TagParams):
        return api.add_tags(remote, params.tags)
    if isinstance(params, TaskParams):
        due = begun_at + params.due_in_s
        return api.create_task(remote, params.title, params.body, due, ref)
    assert isinstance(params, StageParams)
    return api.move_stage(remote, params.stage, params.pipeline_id, params.name)


__all__ = [
    "OPERATIONS",
    "CrmLink",
    "check_params",
    "contact_values",
    "ensure_remote",
    "perform",
]
