"""The tenant-owned data of the Store contract: tenancy, predictive-score models, experiments,
listings, workflow drafts and webhooks."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence

from leadflow.model.experiments import Assignment, Experiment, ExperimentDecision
from leadflow.model.listings import Listing, ListingChanges, ListingFilter
from leadflow.model.records import (
    Draft,
    Event,
)
from leadflow.model.score_models import NewScoreModel, ScoreModel
from leadflow.model.tenancy import Agent, ApiKey, Team, Tenant
from leadflow.model.webhooks import NewDelivery, WebhookDelivery, WebhookSubscription
from leadflow.store.listing_matches import ListingMatch


class TenantDataContract(abc.ABC):
    # ------------------------------------------------------------------ tenancy
    @abc.abstractmethod
    def create_tenant(self, tenant: Tenant, now: float) -> None:
        """Add a tenant (``created_at`` becomes ``now``); StoreError when the id is taken."""

    @abc.abstractmethod
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    @abc.abstractmethod
    def list_tenants(self) -> list[Tenant]:
        """By id."""

    @abc.abstractmethod
    def upsert_team(self, team: Team, now: float) -> bool:
        """Insert or update a team by (tenant, team_key); True when new. StoreError when the
        tenant does not exist."""

    @abc.abstractmethod
    def list_teams(self, tenant_id: str) -> list[Team]:
        """The tenant's teams by team_key."""

    @abc.abstractmethod
    def upsert_agents(self, agents: Sequence[Agent], now: float) -> tuple[int, int]:
        """Insert or update agents by (tenant, member_key) in one transaction; (inserted,
        updated). ``created_at`` is kept for existing agents, ``updated_at`` becomes ``now``.
        StoreError (nothing written) when a tenant or team does not exist."""

    @abc.abstractmethod
    def get_agent(self, tenant_id: str, member_key: str) -> Agent | None: ...

    @abc.abstractmethod
    def list_agents(self, tenant_id: str, team_key: str | None = None) -> list[Agent]:
        """The tenant's agents (optionally of one team) by member_key."""

    @abc.abstractmethod
    def create_api_key(self, key: ApiKey, now: float) -> None:
        """Store a key (``created_at`` becomes ``now``); StoreError when the id is taken or the
        tenant / agent does not exist."""

    @abc.abstractmethod
    def get_api_key(self, key_id: str) -> ApiKey | None: ...

    @abc.abstractmethod
    def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        """The tenant's keys, revoked ones included, by created_at then id."""

    @abc.abstractmethod
    def revoke_api_key(self, key_id: str, now: float) -> bool:
        """Revoke a key (``revoked_at = now``); True when this call revoked it, False when it
        was unknown or already revoked (its first revocation time is kept)."""

    # ------------------------------------------------------------------ predictive-score models
    @abc.abstractmethod
    def save_score_model(self, new: NewScoreModel, now: float) -> ScoreModel:
        """Store a trained model as its tenant's next version (1, 2, ...) created at ``now``.
        StoreError when the tenant does not exist."""

    @abc.abstractmethod
    def get_score_model(self, tenant_id: str, version: int | None = None) -> ScoreModel | None:
        """That version of the tenant's model, or its latest when ``version`` is None."""

    @abc.abstractmethod
    def list_score_models(self, tenant_id: str) -> list[ScoreModel]:
        """The tenant's models by version."""

    # ------------------------------------------------------------------ experiments
    @abc.abstractmethod
    def save_experiment(self, experiment: Experiment, expected_revision: int | None) -> bool:
        """Create (``expected_revision`` None: only when (tenant, key) is absent) or replace
        (only when the stored revision equals ``expected_revision``) an experiment. The stored
        revision becomes ``expected_revision + 1`` (0 on create) whatever ``experiment.revision``
        says. True when written, False when the condition did not hold (nothing written).
        StoreError when the tenant does not exist."""

    @abc.abstractmethod
    def get_experiment(self, tenant_id: str, key: str) -> Experiment | None: ...

    @abc.abstractmethod
    def list_experiments(self, tenant_id: str | None = None) -> list[Experiment]:
        """Experiments by (tenant, key); every tenant's when ``tenant_id`` is None."""

    @abc.abstractmethod
    def due_experiments(self, now: float) -> list[Experiment]:
        """Running experiments whose ``next_review_at`` is at or before ``now`` (every tenant),
        by next_review_at then (tenant, key)."""

    @abc.abstractmethod
    def assign_arm(self, assignment: Assignment) -> Assignment:
        """Store the contact's arm unless it has one in this experiment; return the stored one
        (an earlier assignment always wins, so re-entry and a re-executed step keep the arm)."""

    @abc.abstractmethod
    def get_assignment(self, tenant_id: str, key: str, contact_id: str) -> Assignment | None: ...

    @abc.abstractmethod
    def experiment_assignments(self, tenant_id: str, key: str) -> list[Assignment]:
        """Every assignment of the experiment, by assigned_at then contact id."""

    @abc.abstractmethod
    def record_decision(
        self, decision: ExperimentDecision, experiment: Experiment, expected_revision: int
    ) -> ExperimentDecision | None:
        """In one transaction: replace the experiment (as :meth:`save_experiment` with
        ``expected_revision``) and store the decision. The stored decision (with its id), or None
        when the revision moved on (another reviewer decided first; nothing written)."""

    @abc.abstractmethod
    def experiment_decisions(self, tenant_id: str, key: str) -> list[ExperimentDecision]:
        """The experiment's decisions, oldest first (by id)."""

    @abc.abstractmethod
    def contact_events(
        self, contact_ids: Iterable[str], types: Iterable[str], since: float = 0.0
    ) -> list[Event]:
        """Events of these types of these contacts that occurred at or after ``since``, by
        contact id then occurred_at then id (processed or not)."""

    # ------------------------------------------------------------------ listings
    @abc.abstractmethod
    def upsert_listings(self, listings: Sequence[Listing], now: float) -> ListingChanges:
        """Insert or replace listings by (tenant, listing_key), all in one transaction, in order
        (a key given twice is compared with its earlier self). StandardStatus is stored in its
        RESO spelling. ``created_at`` is kept for existing listings; ``updated_at`` becomes
        ``now``. Returns, per listing, whether it was new and its price / status change (old,
        new). StoreError (nothing written) for an unknown tenant, an empty key or an unknown
        StandardStatus."""

    @abc.abstractmethod
    def get_listing(self, tenant_id: str, listing_key: str) -> Listing | None: ...

    @abc.abstractmethod
    def list_listings(self, flt: ListingFilter) -> list[Listing]:
        """The tenant's listings matching the filter, by listing_key (keyset: after
        ``flt.after_key``), at most ``flt.limit``."""

    @abc.abstractmethod
    def count_listings(self, tenant_id: str) -> int: ...

    @abc.abstractmethod
    def delete_listing(self, tenant_id: str, listing_key: str) -> bool:
        """True when the listing existed (and is gone)."""

    @abc.abstractmethod
    def record_listing_matches(self, matches: Sequence[ListingMatch]) -> int:
        """Remember listings as sent to their contacts, all in one transaction; a (tenant,
        contact, listing) already recorded keeps its first record. Returns how many were new.
        StoreError (nothing written) for an unknown tenant or an empty key."""

    @abc.abstractmethod
    def listing_matches(self, tenant_id: str, contact_id: str) -> list[ListingMatch]:
        """Every listing recorded as sent to the contact, oldest first (then by key)."""

    # ------------------------------------------------------------------ workflow drafts
    @abc.abstractmethod
    def save_draft(self, draft: Draft) -> Draft:
        """Create or replace the draft of ``(draft.tenant_id, draft.key)``; returns it as
        stored. A draft is not validated: any JSON object is kept."""

    @abc.abstractmethod
    def get_draft(self, tenant_id: str, key: str) -> Draft | None: ...

    @abc.abstractmethod
    def list_drafts(self, tenant_id: str) -> list[Draft]:
        """The drafts of one tenant, by key."""

    @abc.abstractmethod
    def delete_draft(self, tenant_id: str, key: str) -> bool:
        """True when a draft was deleted, False when there was none."""

    # ------------------------------------------------------------------ webhooks
    @abc.abstractmethod
    def set_inbound_secret(self, tenant_id: str, secret: str, now: float) -> None:
        """Set (or replace) the secret that signs ``tenant_id``'s inbound lead webhooks."""

    @abc.abstractmethod
    def get_inbound_secret(self, tenant_id: str) -> str | None: ...

    @abc.abstractmethod
    def create_subscription(self, sub: WebhookSubscription, now: float) -> None:
        """Insert an outbound subscription (``created_at`` becomes ``now``); StoreError when
        the id is taken."""

    @abc.abstractmethod
    def list_subscriptions(
        self, tenant_id: str, active_only: bool = False
    ) -> list[WebhookSubscription]:
        """The tenant's subscriptions by id."""

    @abc.abstractmethod
    def subscribed_tenants(self) -> set[str]:
        """Tenants with at least one active subscription (one small read: the fan-out asks it
        before looking up whose events it holds)."""

    @abc.abstractmethod
    def get_subscription(self, tenant_id: str, sub_id: str) -> WebhookSubscription | None:
        """The subscription when it belongs to ``tenant_id``; None otherwise."""

    @abc.abstractmethod
    def update_subscription(self, sub: WebhookSubscription) -> bool:
        """Write url, event types, active and description of the subscription with ``sub.id``
        in ``sub.tenant_id``; False when there is none."""

    @abc.abstractmethod
    def delete_subscription(self, tenant_id: str, sub_id: str) -> bool:
        """Delete the tenant's subscription and its delivery log; False when there is none."""

    @abc.abstractmethod
    def enqueue_deliveries(self, items: Sequence[NewDelivery], now: float) -> int:
        """Insert pending deliveries due ``now`` in one transaction; an item whose (subscription,
        event) is already there is skipped. Returns how many were new."""

    @abc.abstractmethod
    def claim_deliveries(
        self, owner: str, now: float, limit: int, lease_s: float
    ) -> list[WebhookDelivery]:
        """Lease pending deliveries due at ``now`` (no live lease) to ``owner`` until
        ``now + lease_s``, oldest due first."""

    @abc.abstractmethod
    def finish_delivery(
        self,
        owner: str,
        delivery_id: int,
        status: str,
        attempts: int,
        next_attempt_at: float,
        last_status: int | None,
        last_error: str | None,
        now: float,
    ) -> bool:
        """Record an attempt and release the lease (``delivered_at = now`` when delivered);
        False, changing nothing, unless ``owner`` holds the delivery's lease."""

    @abc.abstractmethod
    def list_deliveries(
        self, tenant_id: str, subscription_id: str, limit: int = 100, after_id: int = 0
    ) -> list[WebhookDelivery]:
        """The subscription's deliveries by id (ids above ``after_id``), in ``tenant_id`` only."""

    @abc.abstractmethod
    def remember_signature(self, digest: str, now: float, keep_s: float) -> bool:
        """Record an inbound signature digest: True when new, False when it was seen (a
        replay). Digests seen before ``now - keep_s`` are dropped."""

    @abc.abstractmethod
    def forget_signature(self, digest: str) -> None:
        """Drop a digest again: the request it was remembered for could not be handled, and its
        sender's retry (the same signed request, for senders that sign without a timestamp)
        must not be refused as a replay."""


__all__ = ["TenantDataContract"]
