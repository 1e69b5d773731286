"""What the engine's batch workers (the event processor and the advancer) are built from: the
store and engine they work with, the lease owner they claim as, and how much they claim."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.engine.advance import Engine
from leadflow.store.contract import Store


@dataclass(eq=False)
class LeasedBatches:
    """Claims ``batch`` items at a time as ``owner``, each for ``lease_s`` seconds."""

    store: Store
    engine: Engine
    owner: str
    batch: int = 500
    lease_s: float = 60.0
