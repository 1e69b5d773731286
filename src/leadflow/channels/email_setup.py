"""The e-mail provider the settings ask for (``LEADFLOW_EMAIL_PROVIDER``).

``sandbox`` (the default) sends nothing. ``smtp`` and ``sendgrid`` need a sender
(``LEADFLOW_EMAIL_FROM``), a public URL and an unsubscribe secret (every marketing e-mail carries
a working unsubscribe link), and the settings of the service itself. Anything missing stops the
start with an error naming the setting; no secret's value is ever part of the message.
"""

from __future__ import annotations

from leadflow.channels.email_render import EmailIdentity
from leadflow.channels.provider_factory import ProviderFactory
from leadflow.channels.senders import TenantSenders
from leadflow.channels.sendgrid import SendGridProvider
from leadflow.channels.sendgrid_events import load_public_key
from leadflow.channels.smtp import SmtpProvider, SmtpServer
from leadflow.channels.unsubscribe import UnsubscribeTokens
from leadflow.engine.ports import Provider
from leadflow.errors import InvalidInput
from leadflow.settings import Settings
from leadflow.store.contract import Store


def _missing(settings: Settings, names: list[str]) -> None:
    absent = [n for n in names if getattr(settings, n) in (None, "")]
    if absent:
        listed = ", ".join(f"LEADFLOW_{n.upper()}" for n in absent)
        raise InvalidInput(
            f"LEADFLOW_EMAIL_PROVIDER={settings.email_provider} needs {listed} to be set"
        )


def unsubscribe_tokens(settings: Settings) -> UnsubscribeTokens | None:
    """The token maker of ``LEADFLOW_UNSUBSCRIBE_SECRET`` (None when it is not set)."""
    if settings.unsubscribe_secret is None:
        return None
    try:
        return UnsubscribeTokens(settings.unsubscribe_secret.get_secret_value())
    except ValueError as exc:
        raise InvalidInput(f"LEADFLOW_UNSUBSCRIBE_SECRET: {exc}") from None


def email_identity(settings: Settings) -> EmailIdentity:
    _missing(settings, ["email_from", "public_url", "unsubscribe_secret"])
    assert settings.email_from is not None
    return EmailIdentity(
        from_addr=settings.email_from,
        postal_address=settings.email_postal_address,
        public_url=settings.public_url,
        unsubscribe_mailto=settings.unsubscribe_mailto,
        tokens=unsubscribe_tokens(settings),
    )


def check_webhook_key(settings: Settings) -> None:
    """``LEADFLOW_SENDGRID_WEBHOOK_PUBLIC_KEY`` must read as a key (checked at start-up,
    whichever provider sends e-mail)."""
    if settings.sendgrid_webhook_public_key:
        try:
            load_public_key(settings.sendgrid_webhook_public_key)
        except ValueError as exc:
            raise InvalidInput(f"LEADFLOW_SENDGRID_WEBHOOK_PUBLIC_KEY: {exc}") from None


def _check_smtp(settings: Settings, channel: str = "email") -> None:
    email_identity(settings)
    _missing(settings, ["smtp_host"])
    if settings.smtp_username and settings.smtp_password is None:
        raise InvalidInput("LEADFLOW_SMTP_USERNAME is set: LEADFLOW_SMTP_PASSWORD is needed")


def smtp_provider(settings: Settings, store: Store) -> Provider:
    _check_smtp(settings)
    identity = email_identity(settings)
    assert settings.smtp_host is not None
    server = SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=(settings.smtp_password.get_secret_value() if settings.smtp_password else None),
        timeout_s=settings.smtp_timeout_s,
        ca_file=settings.smtp_ca_file,
    )
    return SmtpProvider(server, identity, store, TenantSenders(store, settings))


def _check_sendgrid(settings: Settings, channel: str = "email") -> None:
    email_identity(settings)
    _missing(settings, ["sendgrid_api_key"])


def sendgrid_provider(settings: Settings, store: Store) -> Provider:
    _check_sendgrid(settings)
    identity = email_identity(settings)
    assert settings.sendgrid_api_key is not None
    return SendGridProvider(
        settings.sendgrid_api_key.get_secret_value(),
        identity,
        store,
        api_base=settings.sendgrid_api_base,
        timeout_s=settings.sendgrid_timeout_s,
        senders=TenantSenders(store, settings),
    )


def email_provider(settings: Settings, store: Store, sandbox: Provider) -> Provider:
    """The configured e-mail provider (``sandbox`` when that is what the settings say)."""
    check_webhook_key(settings)
    if settings.email_provider == "smtp":
        return smtp_provider(settings, store)
    if settings.email_provider == "sendgrid":
        return sendgrid_provider(settings, store)
    return sandbox


SMTP = ProviderFactory(
    "smtp", frozenset({"email"}), lambda ctx, _: smtp_provider(ctx.settings, ctx.store), _check_smtp
)
SENDGRID = ProviderFactory(
    "sendgrid",
    frozenset({"email"}),
    lambda ctx, _: sendgrid_provider(ctx.settings, ctx.store),
    _check_sendgrid,
)
