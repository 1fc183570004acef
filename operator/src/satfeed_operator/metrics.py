"""The operator's Prometheus metrics, and the ``/metrics`` endpoint that serves them.

In a registry of its own (no process-global state), served by a small aiohttp server the
operator starts beside kopf's liveness endpoint (``SATFEED_METRICS_PORT``). What they say:

- ``satfeed_operator_reconciliations_total{kind,result}`` and
  ``satfeed_operator_reconcile_duration_seconds{kind}``: every reconcile of a Satellite or a
  SatelliteGroup, by outcome (``ok``, ``retry``, ``permanent``, ``error``);
- ``satfeed_operator_resources{kind,ready,reason}``: Satellites and groups by their Ready
  condition, as last written;
- ``satfeed_operator_satellite_ready{namespace,satellite,reason}`` (1 or 0),
  ``satfeed_operator_satellite_interval_seconds`` and
  ``satfeed_operator_elements_age_seconds{namespace,satellite}``: per Satellite, what the
  alerts on one Satellite need;
- ``satfeed_operator_elements_fetches_total{source,result}``,
  ``satfeed_operator_elements_fetch_failures{key}`` (consecutive, the back-off state) and
  ``satfeed_operator_elements_next_fetch_timestamp_seconds{key}``: the CelesTrak-compatible
  GP endpoint;
- ``satfeed_operator_children_restored_total{kind}``: children put back after someone
  changed or deleted them (drift).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from satfeed_operator.celestrak import GpKey, GpRecord

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class ResourceState:
    kind: str
    ready: str
    reason: str
    elements_epoch: datetime | None
    interval_seconds: float | None


class _StateCollector(Collector):
    """Gauges computed at scrape time from the state the reconciles last wrote."""

    def __init__(self, metrics: OperatorMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        states = dict(self._metrics.states)
        resources = GaugeMetricFamily(
            "satfeed_operator_resources",
            "Satellites and SatelliteGroups by their Ready condition's status and reason",
            labels=["kind", "ready", "reason"],
        )
        counts: dict[tuple[str, str, str], int] = {}
        for state in states.values():
            key = (state.kind, state.ready, state.reason)
            counts[key] = counts.get(key, 0) + 1
        for key, count in sorted(counts.items()):
            resources.add_metric(list(key), count)
        yield resources
        ready = GaugeMetricFamily(
            "satfeed_operator_satellite_ready",
            "1 if the Satellite's Ready condition is True, else 0; reason: its reason",
            labels=["namespace", "satellite", "reason"],
        )
        interval = GaugeMetricFamily(
            "satfeed_operator_satellite_interval_seconds",
            "The Satellite's spec.intervalSeconds: how often a new position is due",
            labels=["namespace", "satellite"],
        )
        age = GaugeMetricFamily(
            "satfeed_operator_elements_age_seconds",
            "Age of the Satellite's elements (now minus their epoch)",
            labels=["namespace", "satellite"],
        )
        now = datetime.now(UTC)
        for (kind, namespace, name), state in sorted(states.items()):
            if kind != "Satellite":
                continue
            ready.add_metric([namespace, name, state.reason], 1.0 if state.ready == "True" else 0.0)
            if state.elements_epoch is not None:
                age.add_metric([namespace, name], (now - state.elements_epoch).total_seconds())
            if state.interval_seconds is not None:
                interval.add_metric([namespace, name], state.interval_seconds)
        yield ready
        yield interval
        yield age
        failures = GaugeMetricFamily(
            "satfeed_operator_elements_fetch_failures",
            "Consecutive failed downloads of a NORAD id's or GP group's elements (back-off)",
            labels=["key"],
        )
        next_fetch = GaugeMetricFamily(
            "satfeed_operator_elements_next_fetch_timestamp_seconds",
            "Earliest time (Unix seconds) of the next download of a NORAD id or GP group",
            labels=["key"],
        )
        for fetched, record in sorted(self._metrics.fetch_states.items()):
            failures.add_metric([fetched], record.failures)
            next_fetch.add_metric([fetched], record.next_fetch_at.timestamp())
        yield failures
        yield next_fetch


class OperatorMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.reconciliations = Counter(
            "satfeed_operator_reconciliations",
            "Reconciles, by kind (Satellite, SatelliteGroup) and result "
            "(ok, retry, permanent, error)",
            ["kind", "result"],
            registry=self.registry,
        )
        self.reconcile_duration = Histogram(
            "satfeed_operator_reconcile_duration_seconds",
            "Time one reconcile took, by kind",
            ["kind"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.children_restored = Counter(
            "satfeed_operator_children_restored",
            "Children applied again because they differed from what the operator last "
            "applied (a hand edit or deletion undone), by kind",
            ["kind"],
            registry=self.registry,
        )
        self.elements_fetches = Counter(
            "satfeed_operator_elements_fetches",
            "Downloads from the CelesTrak-compatible GP endpoint, by source "
            "(satellite, group) and result (ok, failed)",
            ["source", "result"],
            registry=self.registry,
        )
        self.states: dict[tuple[str, str, str], ResourceState] = {}
        self.fetch_states: dict[str, GpRecord] = {}
        self.registry.register(_StateCollector(self))

    def observe_state(
        self,
        kind: str,
        namespace: str,
        name: str,
        ready: str,
        reason: str,
        elements_epoch: datetime | None,
        interval_seconds: float | None,
    ) -> None:
        self.states[(kind, namespace, name)] = ResourceState(
            kind, ready, reason, elements_epoch, interval_seconds
        )

    def forget(self, kind: str, namespace: str, name: str) -> None:
        self.states.pop((kind, namespace, name), None)

    def observe_fetch(self, key: GpKey, record: GpRecord) -> None:
        """After each download attempt (see :class:`~satfeed_operator.celestrak.GpCache`)."""
        source = "group" if isinstance(key, str) else "satellite"
        result = "failed" if record.failures else "ok"
        self.elements_fetches.labels(source, result).inc()
        self.fetch_states[str(key)] = record

    @contextlib.asynccontextmanager
    async def reconciling(self, kind: str) -> AsyncIterator[list[str]]:
        """Time a reconcile; the body puts its result in the yielded list (else ``error``)."""
        result: list[str] = []
        started = time.perf_counter()
        try:
            yield result
        finally:
            self.reconcile_duration.labels(kind).observe(time.perf_counter() - started)
            self.reconciliations.labels(kind, result[0] if result else "error").inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


async def serve(metrics: OperatorMetrics, host: str, port: int) -> web.AppRunner:
    """Serve ``GET /metrics`` on ``host:port``; the caller cleans the runner up."""

    async def handle(_: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/metrics", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
