"""The contract of a provider plug-in: a named factory that builds the provider of a channel.

A provider package declares one :class:`ProviderFactory` per provider name in the
``leadflow.providers`` entry-point group (``docs/providers.md``); the settings choose a provider
for each channel by that name (``LEADFLOW_SMS_PROVIDER=twilio``,
``LEADFLOW_PROVIDERS={"fax": "acme-fax"}``). The built-in providers are factories of the same
kind (:mod:`leadflow.channels.providers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from leadflow.channels.sandbox import SandboxProvider
from leadflow.clock import Clock
from leadflow.engine.ports import Provider
from leadflow.settings import Settings
from leadflow.store.contract import Store


@dataclass(frozen=True, slots=True)
class ProviderContext:
    """What a factory may build its provider from."""

    settings: Settings
    store: Store
    clock: Clock
    sandbox: SandboxProvider  # the one sandbox ledger every sandboxed channel shares


def _nothing_to_check(settings: Settings, channel: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ProviderFactory:
    """A provider plug-in.

    * ``name``: what the settings call it (``twilio``, ``smtp``, ``acme-fax``);
    * ``channels``: the channels it can serve (None: any channel, as the sandbox);
    * ``build(context, channel)``: the :class:`~leadflow.engine.ports.Provider` of ``channel``;
    * ``check(settings, channel)``: run before anything is opened; raises
      :class:`~leadflow.errors.InvalidInput` naming a missing or wrong setting.
    """

    name: str
    channels: frozenset[str] | None
    build: Callable[[ProviderContext, str], Provider]
    check: Callable[[Settings, str], None] = _nothing_to_check

    def serves(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels


__all__ = ["ProviderContext", "ProviderFactory"]
