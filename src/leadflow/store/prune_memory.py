"""History pruning on the in-memory backend (the prune methods of the Store contract).

Deleted steps leave an empty tuple in the step list (a step's id is its position + 1, and ids are
never reused); the message heap is rebuilt without the deleted messages (a stale heap entry must
never point at a row that is gone). Runs, messages and events keep their id counters, so no id is
ever handed out twice. Each deleted run is counted in an enrollment mark of its (contact,
workflow key), which re-entry reads as runs that exist.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from leadflow.model.records import (
    DUE_MESSAGE_STATUSES,
    ENDED_STATUSES,
    Event,
    Message,
    MessageStatus,
    RunHistory,
)
from leadflow.store.codec import event_from_row, run_from_row, step_from_row
from leadflow.store.contract_prune import PruneStore
from leadflow.store.parts import MemoryPart

# Row layouts of :mod:`.memory` (RUN_COLS / message / EVENT_COLS order).
_R_ID, _R_KEY, _R_CONTACT, _R_STATUS, _R_SEQ, _R_CREATED, _R_ENDED = 0, 1, 3, 5, 11, 12, 14
_M_RUN, _M_CONTACT, _M_IDEM, _M_STATUS = 1, 2, 7, 13
_E_KEY, _E_OCCURRED, _E_PROCESSED = 4, 5, 7
_QUEUED = frozenset({*DUE_MESSAGE_STATUSES, MessageStatus.SENDING})


class MemoryPrune(MemoryPart, PruneStore):
    if TYPE_CHECKING:
        _runs: dict[int, list[Any]]
        _runs_by_contact: dict[str, list[int]]
        _runs_by_pair: dict[tuple[str, str], list[int]]
        _runs_by_key: dict[str, list[int]]
        _marks: dict[tuple[str, str], tuple[int, float]]
        _steps: list[tuple[Any, ...]]
        _steps_by_run: dict[int, list[int]]
        _messages: dict[int, list[Any]]
        _message_by_key: dict[str, int]
        _messages_by_run: dict[int, list[int]]
        _messages_by_contact: dict[str, list[int]]
        _message_heap: list[tuple[float, int, int]]
        _events: dict[int, list[Any]]
        _event_by_key: dict[str, int]

        def _message_out(self, row: list[Any]) -> Message: ...

    def _finished(self, row: list[Any], before: float) -> bool:
        ended = row[_R_ENDED]
        return (
            row[_R_STATUS] in ENDED_STATUSES
            and ended is not None
            and ended < before
            and not any(
                self._messages[m][_M_STATUS] in _QUEUED
                for m in self._messages_by_run.get(row[_R_ID], ())
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
                row = self._runs[rid]
                if not self._finished(row, before):
                    continue
                out.append(
                    RunHistory(
                        run_from_row(row),
                        [
                            step_from_row(self._steps[s - 1])
                            for s in self._steps_by_run.get(rid, ())
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
                if (row := self._runs.get(rid)) is not None
                and row[_R_SEQ] == seq
                and self._finished(row, before)
            )
            gone_messages: set[int] = set()
            for rid in keep:
                row = self._runs.pop(rid)
                pair = (row[_R_CONTACT], row[_R_KEY])
                runs, last = self._marks.get(pair, (0, row[_R_CREATED]))
                self._marks[pair] = (runs + 1, max(last, row[_R_CREATED]))
                _drop(self._runs_by_contact, row[_R_CONTACT], rid)
                _drop(self._runs_by_pair, (row[_R_CONTACT], row[_R_KEY]), rid)
                _drop(self._runs_by_key, row[_R_KEY], rid)
                for sid in self._steps_by_run.pop(rid, ()):
                    self._steps[sid - 1] = ()
                for mid in self._messages_by_run.pop(rid, ()):
                    message = self._messages.pop(mid)
                    self._message_by_key.pop(message[_M_IDEM], None)
                    if message[_M_CONTACT] is not None:
                        _drop(self._messages_by_contact, message[_M_CONTACT], mid)
                    gone_messages.add(mid)
            if gone_messages:
                heap = self._message_heap
                heap[:] = [e for e in heap if e[1] not in gone_messages]
                heapq.heapify(heap)
        return keep

    @staticmethod
    def _done(row: list[Any], before: float) -> bool:
        processed = row[_E_PROCESSED]
        return processed is not None and processed < before and row[_E_OCCURRED] < before

    def prunable_events(self, before: float, after_id: int = 0, limit: int = 1000) -> list[Event]:
        with self._lock:
            rows = [
                r
                for eid, r in sorted(self._events.items())
                if eid > after_id and self._done(r, before)
            ]
            return [event_from_row(r) for r in rows[: max(limit, 0)]]

    def delete_events(self, event_ids: Sequence[int], before: float) -> list[int]:
        with self._lock:
            keep = sorted(
                eid
                for eid in set(event_ids)
                if (row := self._events.get(eid)) is not None and self._done(row, before)
            )
            for eid in keep:
                row = self._events.pop(eid)
                self._event_by_key.pop(row[_E_KEY], None)
        return keep


def _drop(index: dict[Any, list[int]], key: Any, item: int) -> None:
    ids = index.get(key)
    if ids is None:
        return
    ids.remove(item)
    if not ids:
        del index[key]


__all__ = ["MemoryPrune"]
