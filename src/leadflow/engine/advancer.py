"""Claiming due runs, advancing them, committing the batch together (group commit)."""

from __future__ import annotations

import logging

from leadflow.engine.advance import Engine, advance_run, end, new_advance
from leadflow.engine.facts import message_facts
from leadflow.errors import NotFound
from leadflow.store.contract import Store
from leadflow.store.records import FAILED, Advance

log = logging.getLogger(__name__)


class Advancer:
    def __init__(
        self, store: Store, engine: Engine, owner: str, batch: int = 500, lease_s: float = 60.0
    ) -> None:
        self.store = store
        self.engine = engine
        self.owner = owner
        self.batch = batch
        self.lease_s = lease_s
        self.conflicts = 0

    def _facts(self, run_id: int) -> dict[str, dict[str, object]]:
        return message_facts(self.store.messages_of_run(run_id))

    def advance_due(self, now: float) -> int:
        claimed = self.store.claim_runs(self.owner, now, self.batch, self.lease_s)
        if not claimed:
            return 0
        advances: list[Advance] = []
        for item in claimed:
            run = item.run
            try:
                if item.contact is None:
                    raise NotFound(f"contact {run.contact_id!r} not found")
                # The run's workflow in its contact's tenant: keys are per tenant.
                wf = self.engine.catalog.get(item.contact.tenant_id, run.workflow_key, run.version)
            except NotFound as exc:
                adv = new_advance(run)
                end(adv, FAILED, now, None, exc.message)
                advances.append(adv)
                continue
            advances.append(
                advance_run(
                    self.engine,
                    run,
                    item.contact,
                    wf,
                    now,
                    facts_loader=self._facts,
                    message_lookup=self.store.find_message,
                    runs_since=self.store.count_runs_since,
                )
            )
        result = self.store.commit_advances(self.owner, advances, now)
        if result.conflicts:
            self.conflicts += result.conflicts
            log.info(
                "%d run(s) changed while being advanced; they will be retried", result.conflicts
            )
        return len(claimed)
