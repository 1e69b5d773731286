"""The rules every channel shares: consent and opt-out keywords, recipient windows and state
rules, the automatic answers inbound texts are owed, and the dispatch policy that applies them
(the engine's :class:`~leadflow.engine.ports.DispatchPolicy` and ``SendGate``). Above the engine,
below the channels; it plugs into the engine through :mod:`leadflow.compliance.plugin`."""
