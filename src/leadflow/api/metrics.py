"""Prometheus metrics of one app: its own registry (several apps in one process never clash).

* ``leadflow_http_requests_total{method,route,status}`` and
  ``leadflow_http_request_duration_seconds{method,route}``: labelled by the route *template*
  (``/api/v1/workflows/{key}``), never the raw path, so ids do not explode the series; a request
  that matched no route counts under ``route="unmatched"``.
* Read from the store at scrape time: ``leadflow_store_up``, ``leadflow_pending_events``,
  ``leadflow_events_failed_total`` (events quarantined by any worker: they could not be
  processed; ``GET /api/v1/events?status=failed`` lists them), ``leadflow_runs{status}``.
* ``leadflow_inbound_dropped_total{channel,reason}``: provider webhooks answered but dropped,
  e.g. a text to a number no tenant owns (``reason="unknown_to"``).
* The in-process workers' counters: ``leadflow_worker_ticks_total{worker}``, ``..._events_``,
  ``..._run_advances_``, ``..._messages_``, ``..._schedules_``, ``..._quarantined_total``
  (events, runs and messages this worker set aside with their error).
* AI drafting, this process: ``leadflow_ai_calls_total{purpose,outcome,cache_hit}`` and
  ``leadflow_ai_tokens_total{purpose,direction}`` (per tenant: ``/api/v1/automation/calls``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from leadflow.ai.stats import AI_STATS
from leadflow.engine.worker import WorkerStats
from leadflow.errors import LeadflowError
from leadflow.store.contract import Store

UNMATCHED = "unmatched"
log = logging.getLogger("leadflow.api")


class HttpMetrics:
    """The request counter and latency histogram, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "leadflow_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=registry,
        )
        self.duration = Histogram(
            "leadflow_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ("method", "route"),
            registry=registry,
        )
        # The series of each (method, route template, status) seen, looked up once: the label
        # sets are few (templates, not paths), so this stays small.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
        series[0].inc()
        series[1].observe(seconds)


class InboundMetrics:
    """Provider webhooks that were answered (so the provider does not retry) but dropped."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.dropped = Counter(
            "leadflow_inbound_dropped",
            "Inbound provider requests answered but dropped, by channel and reason.",
            ("channel", "reason"),
            registry=registry,
        )


class StoreCollector(Collector):
    """Gauges read from the store, and the in-process workers' counters, at scrape time."""

    def __init__(
        self,
        store: Callable[[], Store | None],
        workers: Callable[[], Sequence[tuple[str, WorkerStats]]],
    ) -> None:
        self._store = store
        self._workers = workers

    def describe(self) -> Iterable[Metric]:
        gauges = _StoreGauges()
        return [*gauges.all(), *_worker_families().values(), *_ai_families()]

    def collect(self) -> Iterable[Metric]:
        gauges = _StoreGauges()
        store = self._store()
        if store is not None:
            try:
                pending = store.pending_events_count()
                failed = store.failed_events_count()
                by_status = store.count_runs()
            except LeadflowError as exc:
                log.warning("metrics: the store could not be read: %s", exc.message)
                gauges.up.add_metric([], 0)
            else:
                gauges.up.add_metric([], 1)
                gauges.pending.add_metric([], pending)
                gauges.failed.add_metric([], failed)
                for status, count in sorted(by_status.items()):
                    gauges.runs.add_metric([status], count)
        families = _worker_families()
        for owner, stats in self._workers():
            values = {
                "ticks": stats.ticks,
                "events": stats.events,
                "run_advances": stats.runs,
                "messages": stats.messages,
                "schedules": stats.schedules,
                "quarantined": stats.quarantined,
            }
            for what, value in values.items():
                families[what].add_metric([owner], value)
        return [*gauges.all(), *families.values(), *_ai_families()]


def _ai_families() -> list[Metric]:
    calls = CounterMetricFamily(
        "leadflow_ai_calls",
        "Model calls (and cache answers) by purpose, outcome and cache hit.",
        labels=("purpose", "outcome", "cache_hit"),
    )
    tokens = CounterMetricFamily(
        "leadflow_ai_tokens",
        "Model tokens by purpose and direction.",
        labels=("purpose", "direction"),
    )
    counted, used = AI_STATS.snapshot()
    for (purpose, outcome, hit), n in sorted(counted.items()):
        calls.add_metric([purpose, outcome, str(hit).lower()], n)
    for (purpose, direction), n in sorted(used.items()):
        tokens.add_metric([purpose, direction], n)
    return [calls, tokens]


class _StoreGauges:
    def __init__(self) -> None:
        self.up = GaugeMetricFamily("leadflow_store_up", "1 when the store answered this scrape.")
        self.pending = GaugeMetricFamily("leadflow_pending_events", "Events not processed yet.")
        self.failed = CounterMetricFamily(
            "leadflow_events_failed",
            "Events set aside (quarantined) because they could not be processed.",
        )
        self.runs = GaugeMetricFamily("leadflow_runs", "Runs by status.", labels=("status",))

    def all(self) -> list[Metric]:
        return [self.up, self.pending, self.failed, self.runs]


_WORKER_COUNTERS = {
    "ticks": "Passes of an in-process worker.",
    "events": "Events processed by an in-process worker.",
    "run_advances": "Run advances by an in-process worker.",
    "messages": "Messages dispatched by an in-process worker.",
    "schedules": "Schedules fired by an in-process worker.",
    "quarantined": "Events, runs and messages an in-process worker set aside with their error.",
}


def _worker_families() -> dict[str, CounterMetricFamily]:
    return {
        what: CounterMetricFamily(f"leadflow_worker_{what}", text, labels=("worker",))
        for what, text in _WORKER_COUNTERS.items()
    }
