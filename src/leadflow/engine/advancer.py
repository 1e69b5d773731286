"""Claiming due runs, advancing them, committing the batch together (group commit).

One run never stops the others: a run whose advance raises outside its node's handler (a
handler's own errors go through the retry policy) fails with the error, and a batch whose
commit fails is retried in halves until the run that fails alone is found; that run is failed
with the error (quarantined) and the others commit (:mod:`.isolate`)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from leadflow.engine.advance import advance_run, end, new_advance
from leadflow.engine.branches import branch_loader, with_cancels
from leadflow.engine.facts import message_facts
from leadflow.engine.isolate import describe, isolate, store_answers
from leadflow.engine.leased import LeasedBatches
from leadflow.errors import NotFound, StoreError
from leadflow.model.records import (
    Advance,
    ClaimedRun,
    RunStatus,
)

log = logging.getLogger(__name__)


class Advancer(LeasedBatches):
    """Advances the due runs; ``quarantined`` counts the runs failed because they could not
    be advanced or committed."""

    conflicts = 0  # runs changed by another writer while being advanced (retried)
    _unadvanced: set[int]  # this pass's runs whose advance raised

    def _facts(self, run_id: int) -> dict[str, dict[str, object]]:
        return message_facts(self.store.messages_of_run(run_id))

    def advance_due(self, now: float) -> int:
        claimed = self.store.claim_runs(self.owner, now, self.batch, self.lease_s)
        if not claimed:
            return 0
        self._unadvanced = set()
        set_aside = isolate(
            claimed,
            lambda part: self._advance(part, now),
            lambda item, exc: self._quarantine(item, exc, now),
            store_answers(self.store.schema_version),
            "run",
        )
        self.quarantined += set_aside  # after: isolate may count some itself
        self.quarantined += len(self._unadvanced)
        return len(claimed)

    def _advance(self, claimed: Sequence[ClaimedRun], now: float) -> None:
        pairs = [(item.run, self._one(item, now)) for item in claimed]
        advances = with_cancels(self.store, pairs, now)  # branches their parent let go of
        result = self.store.commit_advances(self.owner, advances, now)
        if result.conflicts:
            self.conflicts += result.conflicts
            log.info(
                "%d run(s) changed while being advanced; they will be retried", result.conflicts
            )

    def _one(self, item: ClaimedRun, now: float) -> Advance:
        run = item.run
        try:
            if item.contact is None:
                raise NotFound(f"contact {run.contact_id!r} not found")
            # The run's workflow in its contact's tenant: keys are per tenant.
            wf = self.engine.catalog.get(item.contact.tenant_id, run.workflow_key, run.version)
        except NotFound as exc:
            adv = new_advance(run)
            end(adv, RunStatus.FAILED, now, None, exc.message)
            return adv
        try:
            return advance_run(
                self.engine,
                run,
                item.contact,
                wf,
                now,
                facts_loader=self._facts,
                message_lookup=self.store.find_message,
                runs_since=self.store.count_runs_since,
                branch_runs=branch_loader(self.store),
            )
        except StoreError:
            raise  # the store, not the run: the batch is retried (see isolate)
        except Exception as exc:  # a bug outside the handlers: this run fails, others go on
            log.exception("run %s could not be advanced", run.id)
            self._unadvanced.add(run.id)
            adv = new_advance(run)
            end(adv, RunStatus.FAILED, now, None, f"could not be advanced: {describe(exc)}")
            return adv

    def _quarantine(self, item: ClaimedRun, exc: Exception, now: float) -> None:
        """The run's advance cannot be committed: fail the run with the reason instead."""
        adv = new_advance(item.run)
        end(adv, RunStatus.FAILED, now, None, f"could not be committed: {describe(exc)}")
        try:
            self.store.commit_advances(self.owner, [adv], now)
        except StoreError:
            log.exception("run %s could not be failed either; released", item.run.id)
            self.store.release_runs(self.owner, [item.run.id])
