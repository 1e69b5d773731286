"""History pruning: finished runs and processed events read out (to be archived) and deleted,
each delete guarded against changes made since the read."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence

from leadflow.model.records import Event, RunHistory


class PruneStore(abc.ABC):
    """The pruning methods of the store contract (used by :mod:`leadflow.store.prune`)."""

    @abc.abstractmethod
    def prunable_runs(
        self, before: float, after_id: int = 0, limit: int = 1000
    ) -> list[RunHistory]:
        """Finished runs (completed/exited/failed/cancelled) with ``ended_at < before`` and
        ``id > after_id``, none of whose messages is still pending/deferred/sending, in id order,
        at most ``limit``; each with its steps and messages (one consistent read). Live, waiting
        and paused runs are never returned."""

    @abc.abstractmethod
    def delete_runs_history(self, seqs: Mapping[int, int], before: float) -> list[int]:
        """In ONE transaction delete the runs of ``seqs`` (run id -> seq as read by
        :meth:`prunable_runs`) with their steps and messages -- only those still finished, with
        ``ended_at < before``, the same seq (unchanged since they were read) and no message
        pending/deferred/sending. Returns the ids deleted, in id order; the rest are left as
        they are (unknown ids included). Re-entry still counts the deleted runs (an enrollment
        mark per contact and workflow key, in the same transaction), and no id of a deleted run,
        step or message is ever handed out again."""

    @abc.abstractmethod
    def prunable_events(self, before: float, after_id: int = 0, limit: int = 1000) -> list[Event]:
        """Processed events with ``processed_at < before`` and ``occurred_at < before`` and
        ``id > after_id``, in id order, at most ``limit``. Unprocessed events never are."""

    @abc.abstractmethod
    def delete_events(self, event_ids: Sequence[int], before: float) -> list[int]:
        """In one transaction delete those of ``event_ids`` that are processed with
        ``processed_at < before`` and ``occurred_at < before``; returns the ids deleted, in id
        order. Their dedupe keys become free again."""


__all__ = ["PruneStore"]
