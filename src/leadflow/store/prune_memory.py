"""History pruning on the in-memory backend (the prune methods of the Store contract).

Deleted steps leave None in the step list (a step's id is its position + 1, and ids are
never reused); the message heap is rebuilt without the deleted messages (a stale heap entry must
never point at a row that is gone). Runs, messages and events keep their id counters, so no id is
ever handed out twice. Each deleted run is counted in an enrollment mark of its (contact,
workflow key), which re-entry reads as runs that exist.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from typing import Any

from leadflow.model.records import (
    DUE_MESSAGE_STATUSES,
    ENDED_STATUSES,
    Event,
    MessageStatus,
    RunHistory,
)
from leadflow.store.contract_prune import PruneStore
from leadflow.store.memory_state import HeldRun, MemoryState, copy_event, copy_run, copy_step
from leadflow.store.parts import MemoryPart

_QUEUED = frozenset({*DUE_MESSAGE_STATUSES, MessageStatus.SENDING})


class MemoryPrune(MemoryState, MemoryPart, PruneStore):
    def _finished(self, held: HeldRun, before: float) -> bool:
        run = held.record
        ended = run.ended_at
        return (
            run.status in ENDED_STATUSES
            and ended is not None
            and ended < before
            and not any(
                self._messages[m].record.status in _QUEUED
                for m in self._messages_by_run.get(run.id, ())
            )
        )

    def prunable_runs(
        self, before: float, after_id: int = 0, limit: int = 1000
    ) -> list[RunHistory]:
        out: list[RunHistory] = []
        with self._lock:
            for rid in sorted(i for i in self._runs if i > after_id):
                if len(out) >= limit:
                    break
                held = self._runs[rid]
                if not self._finished(held, before):
                    continue
                out.append(
                    RunHistory(
                        copy_run(held.record),
                        [
                            copy_step(step)
                            for s in self._steps_by_run.get(rid, ())
                            if (step := self._steps[s - 1]) is not None
                        ],
                        [
                            self._message_out(self._messages[m])
                            for m in self._messages_by_run.get(rid, ())
                        ],
                    )
                )
        return out

    def delete_runs_history(self, seqs: Mapping[int, int], before: float) -> list[int]:
        with self._lock:
            keep = sorted(
                rid
                for rid, seq in seqs.items()
                if (held := self._runs.get(rid)) is not None
                and held.record.seq == seq
                and self._finished(held, before)
            )
            gone_messages: set[int] = set()
            for rid in keep:
                run = self._runs.pop(rid).record
                pair = (run.contact_id, run.workflow_key)
                runs, last = self._marks.get(pair, (0, run.created_at))
                self._marks[pair] = (runs + 1, max(last, run.created_at))
                _drop(self._runs_by_contact, run.contact_id, rid)
                _drop(self._runs_by_pair, pair, rid)
                _drop(self._runs_by_key, run.workflow_key, rid)
                for sid in self._steps_by_run.pop(rid, ()):
                    self._steps[sid - 1] = None
                for mid in self._messages_by_run.pop(rid, ()):
                    message = self._messages.pop(mid).record
                    self._message_by_key.pop(message.idempotency_key, None)
                    if message.contact_id is not None:
                        _drop(self._messages_by_contact, message.contact_id, mid)
                    gone_messages.add(mid)
            if gone_messages:
                heap = self._message_heap
                heap[:] = [e for e in heap if e[1] not in gone_messages]
                heapq.heapify(heap)
        return keep

    @staticmethod
    def _done(event: Event, before: float) -> bool:
        processed = event.processed_at
        return processed is not None and processed < before and event.occurred_at < before

    def prunable_events(self, before: float, after_id: int = 0, limit: int = 1000) -> list[Event]:
        with self._lock:
            found = [
                held.record
                for eid, held in sorted(self._events.items())
                if eid > after_id and self._done(held.record, before)
            ]
            return [copy_event(e) for e in found[: max(limit, 0)]]

    def delete_events(self, event_ids: Sequence[int], before: float) -> list[int]:
        with self._lock:
            keep = sorted(
                eid
                for eid in set(event_ids)
                if (held := self._events.get(eid)) is not None and self._done(held.record, before)
            )
            for eid in keep:
                event = self._events.pop(eid).record
                self._event_by_key.pop(event.dedupe_key, None)
        return keep


def _drop(index: dict[Any, list[int]], key: Any, item: int) -> None:
    ids = index.get(key)
    if ids is None:
        return
    ids.remove(item)
    if not ids:
        del index[key]


__all__ = ["MemoryPrune"]
