"""What the engine's batch workers (the event processor, the advancer and the dispatcher) are
built from: the store and engine they work with, the lease owner they claim as, how much they
claim, and how many items they set aside."""

from __future__ import annotations

from leadflow.engine.advance import Engine
from leadflow.store.contract import Store


class LeasedBatches:
    """Claims ``batch`` items at a time as ``owner``, each for ``lease_s`` seconds."""

    def __init__(
        self, store: Store, engine: Engine, owner: str, batch: int = 500, lease_s: float = 60.0
    ) -> None:
        self.store = store
        self.engine = engine
        self.owner = owner
        self.batch = batch
        self.lease_s = lease_s
        self.quarantined = 0  # items set aside with their error by this worker
