"""One way to plug into the engine: a :class:`Plugin` names what a feature adds (node handlers
by kind, custom actions, event observers, periodic jobs, publish hooks) and
:meth:`Registry.install` puts it in the engine's registry. The wiring installs the plugins; the
engine uses what is installed and knows nothing of who supplied it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from leadflow.engine.ports import EventObserver, Handler, PeriodicJob, PublishHook
from leadflow.engine.rule_actions import RuleAction
from leadflow.errors import PermanentStepError


@dataclass(frozen=True, slots=True)
class Plugin:
    """What one feature adds to the engine. A handler for a kind that is already registered
    replaces it (a feature may give a built-in kind more to do)."""

    name: str
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    actions: Mapping[str, Handler] = field(default_factory=dict)
    observers: Sequence[EventObserver] = ()
    jobs: Sequence[PeriodicJob] = ()
    publish_hooks: Sequence[PublishHook] = ()
    rule_actions: Mapping[str, RuleAction] = field(default_factory=dict)  # automation rules


class Registry:
    """Node kind -> handler, custom actions by name, and the installed observers, periodic jobs
    and publish hooks (each in installation order)."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._actions: dict[str, Handler] = {}
        self.observers: list[EventObserver] = []
        self.jobs: list[PeriodicJob] = []
        self.publish_hooks: list[PublishHook] = []
        self.plugins: list[str] = []  # names of the installed plugins, in order
        self._rule_actions: dict[str, RuleAction] = {}
        self.observed: frozenset[str] = frozenset()  # event types the observers need contacts of

    def install(self, plugin: Plugin) -> None:
        for kind, handler in plugin.handlers.items():
            self.register(kind, handler)
        for name, action in plugin.actions.items():
            self.register_action(name, action)
        self.observers.extend(plugin.observers)
        self.observed = self.observed.union(*(o.event_types for o in plugin.observers))
        self.jobs.extend(plugin.jobs)
        self.publish_hooks.extend(plugin.publish_hooks)
        self._rule_actions.update(plugin.rule_actions)
        self.plugins.append(plugin.name)

    def register(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def register_action(self, name: str, handler: Handler) -> None:
        """A custom action, used by ``action`` nodes with ``action: name``."""
        self._actions[name] = handler

    def action(self, name: str) -> Handler:
        try:
            return self._actions[name]
        except KeyError:
            raise PermanentStepError(f"no custom action registered as {name!r}") from None

    def actions(self) -> list[str]:
        return sorted(self._actions)

    def get(self, kind: str) -> Handler:
        handler = self._handlers.get(kind)
        if handler is None:
            raise PermanentStepError(f"no handler registered for node kind {kind!r}")
        return handler

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    # automation rules' action kinds (leadflow.rules)
    def rule_action(self, kind: str) -> RuleAction | None:
        return self._rule_actions.get(kind)

    def rule_action_kinds(self) -> list[str]:
        return sorted(self._rule_actions)


__all__ = ["Plugin", "Registry"]
