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

from leadflow.analytics.plugin import analytics_plugin
from leadflow.channels.email_setup import email_provider
from leadflow.channels.sandbox import SandboxProvider
from leadflow.channels.twilio_config import twilio_configs
from leadflow.channels.twilio_setup import twilio_providers
from leadflow.channels.webhook import HttpWebhookProvider
from leadflow.clock import Clock, RealClock
from leadflow.compliance.plugin import compliance_plugin
from leadflow.compliance.policy import CompliancePolicy
from leadflow.compliance.replies import ReplyTexts
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
from leadflow.listings.plugin import listings_plugin
from leadflow.playbooks.booking import BookingLinks
from leadflow.playbooks.plugin import playbooks_plugin
from leadflow.rules.plugin import rules_plugin
from leadflow.scoring.plugin import scoring_plugin
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
        for provider in self.providers.values():
            closer = getattr(provider, "close", None)
            if closer is not None:
                closer()
        for hooks in self.hooks:
            hooks.close()

    def close(self) -> None:
        self.close_providers()
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
    return [
        compliance_plugin(replies),
        sendtime_plugin(OutboxHistory(store, settings.default_timezone, cap=cap)),
        listings_plugin(store),
        experiments_plugin(store),
        scoring_plugin(store),
        analytics_plugin(),
        playbooks_plugin(store, booking_links(settings), settings.public_url),
    ]


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
    twilio = twilio_configs(settings)  # a missing Twilio setting stops start-up here
    own_store = store is None
    store = store or open_store(settings.db, check_schema=check_schema)
    retry = RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        base_s=settings.retry_base_s,
        max_delay_s=settings.retry_max_delay_s,
    )
    policy = CompliancePolicy(
        default_timezone=settings.default_timezone, budget_per_day=settings.budget_per_day
    )
    registry = default_registry()
    for plugin in feature_plugins(settings, store):
        registry.install(plugin)
    load_actions(registry)
    catalog = Catalog(store)
    registry.install(rules_plugin(store, registry, catalog))  # last: its observer sees consent
    engine = Engine(
        catalog, registry, retry, random.Random(seed), policy, limits=limits_of(settings)
    )
    sandbox = SandboxProvider(store)
    try:
        mail = email_provider(settings, store, sandbox)
    except Exception:
        if own_store:
            store.close()
        raise
    providers: dict[str, Provider] = {
        "sms": sandbox,
        "email": mail,
        "voice": sandbox,
        "webhook": HttpWebhookProvider(allow_private=settings.webhook_allow_private),
    }
    providers.update(twilio_providers(twilio, store, settings))
    return Runtime(settings, store, clock or RealClock(), engine, providers, policy)
