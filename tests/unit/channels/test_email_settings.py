"""E-mail settings: a provider chosen without what it needs stops the start, naming the
setting and never printing a secret."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from leadflow.channels.email_setup import email_provider
from leadflow.channels.sandbox import SandboxProvider
from leadflow.channels.sendgrid import SendGridProvider
from leadflow.channels.smtp import SmtpProvider
from leadflow.errors import InvalidInput
from leadflow.settings import Settings
from leadflow.store import open_store

PASSWORD = "smtp-password-do-not-print"
API_KEY = "SG.api-key-do-not-print"
SECRET = "unsubscribe-secret-do-not-print"
READY = {
    "email_from": "Acme Realty <agent@acme.example>",
    "public_url": "https://leads.acme.example",
    "unsubscribe_secret": SECRET,
}


def build(**values: Any) -> Any:
    store = open_store("memory://")
    return email_provider(Settings(db="memory://", **values), store, SandboxProvider(store))


def test_the_sandbox_stays_the_default() -> None:
    assert isinstance(build(), SandboxProvider)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"email_provider": "smtp", **READY}, "LEADFLOW_SMTP_HOST"),
        (
            {"email_provider": "smtp", "smtp_host": "mail.example", "smtp_password": PASSWORD},
            "LEADFLOW_EMAIL_FROM, LEADFLOW_PUBLIC_URL, LEADFLOW_UNSUBSCRIBE_SECRET",
        ),
        (
            {"email_provider": "smtp", "smtp_host": "m.example", "smtp_username": "u", **READY},
            "LEADFLOW_SMTP_PASSWORD",
        ),
        ({"email_provider": "sendgrid", **READY}, "LEADFLOW_SENDGRID_API_KEY"),
        (
            {"email_provider": "sendgrid", "sendgrid_api_key": API_KEY, **READY}
            | {"unsubscribe_secret": None},
            "LEADFLOW_UNSUBSCRIBE_SECRET",
        ),
        (
            {"email_provider": "sendgrid", "sendgrid_api_key": API_KEY, **READY}
            | {"unsubscribe_secret": "s3cr3t"},
            "LEADFLOW_UNSUBSCRIBE_SECRET: the unsubscribe secret must be at least 16",
        ),
        ({"sendgrid_webhook_public_key": "bm90IGEga2V5"}, "LEADFLOW_SENDGRID_WEBHOOK_PUBLIC_KEY"),
    ],
)
def test_a_provider_without_what_it_needs_is_refused_by_name(
    values: dict[str, Any], named: str
) -> None:
    with pytest.raises(InvalidInput, match=named) as caught:
        build(**values)
    for secret in (PASSWORD, API_KEY, SECRET, "s3cr3t"):
        assert secret not in str(caught.value)


def test_complete_settings_give_the_provider_and_no_secret_in_its_repr() -> None:
    smtp = build(
        email_provider="smtp",
        smtp_host="mail.example",
        smtp_username="agent",
        smtp_password=PASSWORD,
        **READY,
    )
    assert isinstance(smtp, SmtpProvider)
    sendgrid = build(email_provider="sendgrid", sendgrid_api_key=API_KEY, **READY)
    assert isinstance(sendgrid, SendGridProvider)
    for provider in (smtp, sendgrid):
        assert PASSWORD not in repr(provider) and API_KEY not in repr(provider)
        assert SECRET not in repr(provider)
    sendgrid.close()


def test_secrets_are_hidden_in_the_settings_repr() -> None:
    settings = Settings(smtp_password=PASSWORD, sendgrid_api_key=API_KEY, unsubscribe_secret=SECRET)
    for secret in (PASSWORD, API_KEY, SECRET):
        assert secret not in repr(settings) and secret not in str(settings.model_dump())


@pytest.mark.parametrize("field", ["email_from", "unsubscribe_mailto"])
@pytest.mark.parametrize("bad", ["agent", "Acme <agent@>", "agent@acme.example\r\nBcc: x@y.z"])
def test_a_bad_sender_address_is_refused_naming_the_field(field: str, bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{field: bad})
    assert caught.value.errors()[0]["loc"] == (field,)


def test_the_sender_address_is_kept_in_its_usual_form() -> None:
    assert Settings(email_from=" Acme Realty <Agent@ACME.example> ").email_from == (
        "Acme Realty <Agent@acme.example>"
    )
