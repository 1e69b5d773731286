"""Providers found by name: the built-in ones and those installed packages declare.

Each channel's provider is chosen by name in the settings: ``LEADFLOW_SMS_PROVIDER``,
``LEADFLOW_VOICE_PROVIDER``, ``LEADFLOW_EMAIL_PROVIDER``, ``LEADFLOW_WHATSAPP_PROVIDER``, and for
any other channel (``webhook``, or one a plug-in adds) ``LEADFLOW_PROVIDERS``, a JSON object of
channel to name. A name is looked up in the ``leadflow.providers`` entry-point group, where the
installed packages declare their :class:`~leadflow.channels.provider_factory.ProviderFactory`
objects; leadflow declares its own there too (``pyproject.toml``), and :data:`BUILTIN` holds the
same factories so they are found even where leadflow's metadata is out of date (an editable
install made before they were declared). An entry point is loaded only when the settings name
it, so a broken plug-in nobody chose stops nothing.

A name nobody declares, a factory that does not serve the channel it was given, or two
distributions declaring one name: start-up stops with :class:`~leadflow.errors.InvalidInput`
naming the setting and the names that are known.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from leadflow.channels.email_setup import SENDGRID, SMTP
from leadflow.channels.meta_messenger import META
from leadflow.channels.provider_factory import ProviderContext, ProviderFactory
from leadflow.channels.twilio_setup import TWILIO
from leadflow.channels.webhook import HttpWebhookProvider
from leadflow.engine.ports import Provider
from leadflow.errors import InvalidInput
from leadflow.settings import Settings

GROUP = "leadflow.providers"


def _sandbox(context: ProviderContext, channel: str) -> Provider:
    return context.sandbox


def _http(context: ProviderContext, channel: str) -> Provider:
    return HttpWebhookProvider(allow_private=context.settings.webhook_allow_private)


SANDBOX = ProviderFactory("sandbox", None, _sandbox)
HTTP = ProviderFactory("http", frozenset({"webhook"}), _http)

BUILTIN: dict[str, ProviderFactory] = {
    f.name: f for f in (SANDBOX, TWILIO, SMTP, SENDGRID, HTTP, META)
}

# The channels with a setting of their own (``LEADFLOW_<CHANNEL>_PROVIDER``), and the defaults of
# the channels every installation has.
OWN_SETTING = ("sms", "voice", "email", "whatsapp", "messenger")
DEFAULTS = dict.fromkeys(OWN_SETTING, "sandbox")
DEFAULTS["webhook"] = "http"


def setting_name(channel: str) -> str:
    """The setting that chooses ``channel``'s provider, as the operator writes it."""
    if channel in OWN_SETTING:
        return f"LEADFLOW_{channel.upper()}_PROVIDER"
    return f"LEADFLOW_PROVIDERS[{channel}]"


def chosen(settings: Settings) -> dict[str, str]:
    """The provider name of each channel, from the settings (defaults filled in)."""
    names = dict(DEFAULTS)
    for channel, name in settings.providers.items():
        if channel in OWN_SETTING:
            raise InvalidInput(
                f"LEADFLOW_PROVIDERS: {channel} is chosen with {setting_name(channel)}, not here"
            )
        names[channel] = name
    for channel in OWN_SETTING:
        names[channel] = getattr(settings, f"{channel}_provider")
    return names


def _declared(name: str | None = None) -> list[EntryPoint]:
    found = entry_points(group=GROUP)
    return [ep for ep in found if name is None or ep.name == name]


def known_names() -> list[str]:
    """Every provider name a setting may use (built-in and declared), sorted."""
    return sorted(set(BUILTIN) | {ep.name for ep in _declared()})


def _dist(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return str(getattr(dist, "name", None) or ep.value)


def _loaded(ep: EntryPoint) -> ProviderFactory:
    target = ep.load()
    if not isinstance(target, ProviderFactory) and callable(target):
        target = target()
    if not isinstance(target, ProviderFactory):
        raise InvalidInput(
            f"entry point {ep.name} = {ep.value} in group {GROUP} is not a ProviderFactory"
        )
    if target.name != ep.name:
        raise InvalidInput(
            f"entry point {ep.name} = {ep.value} in group {GROUP} names a factory called "
            f"{target.name!r}"
        )
    return target


def factory(name: str, setting: str) -> ProviderFactory:
    """The factory called ``name`` (``setting`` is named in the error when there is none)."""
    declared = _declared(name)
    loaded = {id(f): f for f in (_loaded(ep) for ep in declared)}
    builtin = BUILTIN.get(name)
    if builtin is not None:
        loaded.setdefault(id(builtin), builtin)
    if len(loaded) > 1:
        who = ", ".join(sorted({_dist(ep) for ep in declared}))
        raise InvalidInput(
            f"{setting}={name}: provider {name!r} is declared more than once ({who})"
        )
    if not loaded:
        raise InvalidInput(
            f"{setting}={name}: no provider is called {name!r} (known: {', '.join(known_names())})"
        )
    return next(iter(loaded.values()))


def factories(settings: Settings) -> dict[str, ProviderFactory]:
    """The factory of every channel, each checked against the settings before anything is
    opened (a missing setting stops start-up here, naming it)."""
    picked: dict[str, ProviderFactory] = {}
    for channel, name in chosen(settings).items():
        setting = setting_name(channel)
        found = factory(name, setting)
        if not found.serves(channel):
            serves = ", ".join(sorted(found.channels or ()))
            raise InvalidInput(
                f"{setting}={name}: provider {name!r} does not serve {channel} (it serves {serves})"
            )
        found.check(settings, channel)
        picked[channel] = found
    return picked


def build_providers(
    picked: dict[str, ProviderFactory], context: ProviderContext
) -> dict[str, Provider]:
    """The provider of every channel; providers built before a failure are closed."""
    built: dict[str, Provider] = {}
    try:
        for channel, found in picked.items():
            built[channel] = found.build(context, channel)
    except BaseException:
        close_all(built.values())
        raise
    return built


def close_all(providers: Iterable[Provider]) -> None:
    seen: set[int] = set()
    for provider in providers:
        closer = getattr(provider, "close", None)
        if closer is not None and id(provider) not in seen:
            seen.add(id(provider))
            closer()


__all__ = [
    "BUILTIN",
    "GROUP",
    "HTTP",
    "SANDBOX",
    "build_providers",
    "chosen",
    "close_all",
    "factories",
    "factory",
    "known_names",
    "setting_name",
]
