"""Composition: build the store, clock, providers, policy and engine from settings.

The one place the CLI, the API and the simulator all use to wire things together. The features
plug into the engine here, each through its plugin (:func:`feature_plugins`), and so do the
custom actions installed packages declare (:func:`load_actions`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from importlib.metadata import entry_points

from leadflow.ai.client import LlmClient, LlmConfig
from leadflow.ai.orchestration.plugin import orchestration_plugin
from leadflow.ai.plugin import ai_plugin, lead_summarizer, model_client
from leadflow.analytics.plugin import analytics_plugin
from leadflow.channels.email_setup import check_webhook_key
from leadflow.channels.imap_poll import inbound_email_plugin
from leadflow.channels.provider_factory import ProviderContext
from leadflow.channels.providers import build_providers, close_all, factories
from leadflow.channels.sandbox import SandboxProvider
from leadflow.clock import Clock, RealClock
from leadflow.compliance.plugin import compliance_plugin
from leadflow.compliance.policy import CompliancePolicy
from leadflow.compliance.replies import ReplyTexts
from leadflow.compliance.whatsapp import WhatsAppSessions
from leadflow.engine.advance import Engine
from leadflow.engine.catalog import Catalog
from leadflow.engine.handlers import default_registry
from leadflow.engine.limits import Limits
from leadflow.engine.liveness import owner_id
from leadflow.engine.plugins import Plugin, Registry
from leadflow.engine.ports import DispatchPolicy, Provider
from leadflow.engine.retry import RetryPolicy
from leadflow.engine.worker import Worker, WorkerConfig
from leadflow.experiments.plugin import experiments_plugin
from leadflow.integrations.plugin import integrations_plugin
from leadflow.listings.plugin import listings_plugin
from leadflow.playbooks.booking import BookingLinks
from leadflow.playbooks.plugin import playbooks_plugin
from leadflow.playbooks.tasks import recipient
from leadflow.replies.intent import IntentReader, ReplyLedger
from leadflow.replies.plugin import replies_plugin
from leadflow.rules.plugin import rules_plugin
from leadflow.scoring.plugin import scoring_plugin
from leadflow.scoring.recompute import score_contact
from leadflow.sendtime.history import OutboxHistory
from leadflow.sendtime.plugin import sendtime_plugin
from leadflow.sendtime.spread import HourlyCap
from leadflow.settings import Settings
from leadflow.store.contract import Store
from leadflow.store.factory import open_store
from leadflow.webhooks.outbound import WebhookDispatcher


@dataclass
class Runtime:
    settings: Settings
    store: Store
    clock: Clock
    engine: Engine
    providers: dict[str, Provider] = field(default_factory=dict)
    policy: DispatchPolicy = field(default_factory=CompliancePolicy)
    hooks: list[WebhookDispatcher] = field(default_factory=list)

    def worker(
        self, owner: str | None = None, wall: Callable[[], float] = time.monotonic
    ) -> Worker:
        """A worker built from this runtime's parts."""
        owner = owner or worker_id()
        return Worker(
            self.store,
            self.engine,
            self.clock,
            owner,
            providers=self.providers,
            policy=self.policy,
            config=worker_config(self.settings),
            webhooks=self.webhook_dispatcher(owner),
            wall=wall,
        )

    def webhook_dispatcher(self, owner: str) -> WebhookDispatcher:
        """The outbound webhook deliverer of one worker (closed with the runtime)."""
        found = WebhookDispatcher(
            self.store, owner, allow_private=self.settings.webhook_allow_private
        )
        self.hooks.append(found)
        return found

    def close_providers(self) -> None:
        close_all(self.providers.values())
        for hooks in self.hooks:
            hooks.close()

    def close(self) -> None:
        self.close_providers()
        for job in self.engine.registry.jobs:  # e.g. the IMAP poller's open connection
            closer = getattr(job, "close", None)
            if closer is not None:
                closer()
        self.store.close()


ACTIONS_GROUP = "leadflow.actions"


def load_actions(registry: Registry) -> None:
    """Install what installed packages declare as entry points in the ``leadflow.actions``
    group: a :class:`~leadflow.engine.plugins.Plugin`, or a custom action (name = action name,
    object = a handler or a factory of one)."""
    for ep in entry_points(group=ACTIONS_GROUP):
        target = ep.load()
        if isinstance(target, Plugin):
            registry.install(target)
            continue
        handler = target() if isinstance(target, type) else target
        registry.install(Plugin(ep.name, actions={ep.name: handler}))


def feature_plugins(settings: Settings, store: Store) -> list[Plugin]:
    """The features' plugins, in the order their observers see a batch of events: consent and
    automatic answers first, rescoring after."""
    per_hour = settings.sendtime_max_per_hour
    cap = HourlyCap(per_hour) if per_hour else None
    replies = ReplyTexts(settings.sms_brand, settings.sms_help_contact, settings.sms_frequency)
    client = model_client(store, LlmConfig.from_settings(settings))
    return [
        compliance_plugin(replies),
        sendtime_plugin(OutboxHistory(store, settings.default_timezone, cap=cap)),
        listings_plugin(store),
        experiments_plugin(store),
        scoring_plugin(store),
        analytics_plugin(store),
        playbooks_plugin(
            store,
            booking_links(settings),
            settings.public_url,
            lead_summarizer(store, client, lambda c, now: score_contact(store, c, now).as_dict()),
        ),
        ai_plugin(store, client, settings.sms_brand),
        inbound_email_plugin(settings, store),  # the IMAP mailbox's poller (a periodic job)
        integrations_plugin(store),
    ]


def intent_reader(settings: Settings, store: Store, clock: Clock | None = None) -> IntentReader:
    """Reads reply intent: the model server first when ``LEADFLOW_LLM_BASE_URL`` is set (its
    calls in the store's ledger), the local model as the fallback."""
    config = LlmConfig.from_settings(settings)
    ledger = ReplyLedger(store)
    llm = LlmClient(config, clock=clock, ledger=ledger) if config is not None else None
    return IntentReader(llm)


def local_reply_intent(text: str) -> tuple[str, float]:
    """The shipped reply-intent model behind the opt-out rules (no model server): what an
    orchestrated ``classify`` task falls back on."""
    reading = IntentReader().read([text])[0]
    return reading.intent, reading.confidence


def booking_links(settings: Settings) -> BookingLinks | None:
    """The signer of booking-page links, when ``LEADFLOW_BOOKING_SECRET`` is set."""
    secret = settings.booking_secret
    return BookingLinks(secret.get_secret_value()) if secret is not None else None


def worker_config(settings: Settings) -> WorkerConfig:
    """A worker's batch sizes and timings from the ``LEADFLOW_*`` settings."""
    return WorkerConfig(**{f.name: getattr(settings, f.name) for f in fields(WorkerConfig)})


def worker_id() -> str:
    """A new worker owner id (``host:pid:space:nonce``, see :mod:`leadflow.engine.liveness`)."""
    return owner_id()


def limits_of(settings: Settings) -> Limits:
    """The engine's work limits from the ``LEADFLOW_*`` settings."""
    return Limits.build(
        max_depth=settings.max_workflow_depth,
        enrollments_per_hour=settings.max_enrollments_per_hour,
        sms_chars=settings.max_sms_chars,
        email_subject_chars=settings.max_email_subject_chars,
        email_body_chars=settings.max_email_body_chars,
        other_chars=settings.render_max_chars,
        render_steps=settings.render_max_steps,
        render_ms=settings.render_max_ms,
    )


def build_runtime(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    seed: int | None = None,
    check_schema: bool = True,
) -> Runtime:
    settings = settings or Settings()
    # Each channel's provider by name (channels/providers.py): an unknown name or a missing
    # setting stops start-up here, before anything is opened.
    picked = factories(settings)
    check_webhook_key(settings)
    own_store = store is None
    store = store or open_store(settings.db, check_schema=check_schema)
    retry = RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        base_s=settings.retry_base_s,
        max_delay_s=settings.retry_max_delay_s,
    )
    policy = CompliancePolicy(
        default_timezone=settings.default_timezone,
        budget_per_day=settings.budget_per_day,
        whatsapp_sessions=WhatsAppSessions(store),
    )
    registry = default_registry()
    for plugin in feature_plugins(settings, store):
        registry.install(plugin)
    # Reply intent after the other observers (consent first), before any run sees the reply.
    registry.install(replies_plugin(intent_reader(settings, store, clock), recipient))
    # AI tasks; classify tasks read replies as inbound ones are read (the reply-intent model).
    registry.install(
        orchestration_plugin(store, settings, clock or RealClock(), local_reply_intent)
    )
    load_actions(registry)
    catalog = Catalog(store)
    registry.install(rules_plugin(store, registry, catalog))  # last: its observer sees consent
    engine = Engine(
        catalog, registry, retry, random.Random(seed), policy, limits=limits_of(settings)
    )
    clock = clock or RealClock()
    context = ProviderContext(settings, store, clock, SandboxProvider(store))
    try:
        providers = build_providers(picked, context)
    except Exception:
        if own_store:
            store.close()
        raise
    return Runtime(settings, store, clock, engine, providers, policy)
