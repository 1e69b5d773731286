"""In-process workers for ``leadflow serve``: N threads, each running :meth:`Worker.run` until a
shared stop event is set.

Each thread gets its **own Runtime** (own store connection, engine, catalog and providers) built
from the same settings, exactly like N ``leadflow worker`` processes on one database: the
engine's catalog and the providers are not meant to be shared between threads, and on SQLite
separate connections let the API read (WAL) while a worker writes instead of queueing behind
the single connection's lock. The one exception is ``memory://``, whose data lives in the store
object: there the workers share the app's store (it is thread-safe: one lock) with their own
engine. A worker whose pass raises logs the error and waits ``poll_s`` before trying again, so
a database hiccup does not silently end background processing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from leadflow.engine.worker import Worker, WorkerStats
from leadflow.errors import LeadflowError
from leadflow.runtime import Runtime, build_runtime, worker_id

log = logging.getLogger("leadflow.api")
JOIN_TIMEOUT_S = 30.0


@dataclass
class InProcessWorkers:
    """Started by the app's lifespan, stopped (stop event set, threads joined) at shutdown."""

    app_runtime: Runtime
    count: int
    stop: threading.Event = field(default_factory=threading.Event)
    workers: list[Worker] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _runtimes: list[tuple[Runtime, bool]] = field(default_factory=list)  # (runtime, owns store)

    def start(self) -> None:
        shared = self.app_runtime.settings.db.startswith("memory:")
        for n in range(self.count):
            if shared:
                rt = build_runtime(
                    self.app_runtime.settings,
                    store=self.app_runtime.store,
                    clock=self.app_runtime.clock,
                )
            else:
                rt = build_runtime(self.app_runtime.settings, clock=self.app_runtime.clock)
            self._runtimes.append((rt, not shared))
            worker = rt.worker(worker_id())
            self.workers.append(worker)
            thread = threading.Thread(
                target=self._loop, args=(worker,), name=f"leadflow-worker-{n + 1}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        if self.count:
            log.info("started %d in-process worker(s)", self.count)

    def _loop(self, worker: Worker) -> None:
        while not self.stop.is_set():
            try:
                worker.run(stop=self.stop)
            except LeadflowError as exc:
                log.error("in-process worker %s: %s; retrying", worker.owner, exc.message)
            except Exception:
                log.exception("in-process worker %s failed; retrying", worker.owner)
            self.stop.wait(self.app_runtime.settings.poll_s)

    def stats(self) -> list[tuple[str, WorkerStats]]:
        return [(w.owner, w.stats) for w in self.workers]

    def shutdown(self) -> None:
        """Let every worker finish its pass, then close what was opened for them."""
        self.stop.set()
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.warning("%s did not stop within %.0fs", thread.name, JOIN_TIMEOUT_S)
        for rt, owns_store in self._runtimes:
            if owns_store:
                rt.close()
            else:
                rt.close_providers()
        self._runtimes.clear()
