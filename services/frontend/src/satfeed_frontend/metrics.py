"""The frontend's Prometheus metrics, in a registry of its own (no process-global state)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

SESSION_TIMEOUT_S: Final = 15.0
"""A page not drawn nor sent an update for this long is no longer counted as a session."""


SECONDS_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)


class Sessions:
    """Pages drawn or sent an update recently, by the id each page load makes for itself;
    thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_seen: dict[str, float] = {}

    def seen(self, session_id: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._last_seen[session_id] = now
            if len(self._last_seen) > 64:  # prune now and then, so the dict stays bounded
                self._prune(now)

    def active(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._prune(now)
            return len(self._last_seen)

    def _prune(self, now: float) -> None:
        for session_id, seen in list(self._last_seen.items()):
            if now - seen > SESSION_TIMEOUT_S:
                del self._last_seen[session_id]


NewestPositions = Callable[[], list[tuple[str, str, datetime]]]


class _NewestPositionCollector(Collector):
    """``satfeed_frontend_newest_position_timestamp_seconds``, read from the feed at scrape."""

    def __init__(self, newest: NewestPositions) -> None:
        self._newest = newest

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "satfeed_frontend_newest_position_timestamp_seconds",
            "Time (Unix seconds) of the newest position read from Kafka, per Satellite: judges "
            "from the data whether a Satellite's positions still flow",
            labels=["namespace", "satellite"],
        )
        for namespace, satellite, when in sorted(self._newest()):
            family.add_metric([namespace, satellite], when.timestamp())
        yield family


class FrontendMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.records_consumed = Counter(
            "satfeed_frontend_records_consumed",
            "Valid position records read from Kafka",
            registry=self.registry,
        )
        self.batches_consumed = Counter(
            "satfeed_frontend_batches_consumed",
            "Valid position batches (schema v2: one record per shard of a group per tick) read",
            registry=self.registry,
        )
        self.positions_consumed = Counter(
            "satfeed_frontend_positions_consumed",
            "Object positions taken from records and batches (a batch holds many)",
            registry=self.registry,
        )
        self.metadata_requests = Counter(
            "satfeed_frontend_metadata_requests",
            "Requests for Kafka's topic list (when discovery changes, and now and then)",
            registry=self.registry,
        )
        self.records_malformed = Counter(
            "satfeed_frontend_records_malformed",
            "Records skipped because they are not valid position records, by the field at fault "
            "('record' when the whole record is unusable, 'batch' for a position batch that is "
            "not valid v2, 'position' for each position no orbit could hold)",
            ["field"],
            registry=self.registry,
        )
        self.records_out_of_order = Counter(
            "satfeed_frontend_records_out_of_order",
            "Positions skipped because they are not newer than their object's newest",
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "satfeed_frontend_consumer_lag_records",
            "Records in the assigned partitions not read yet",
            registry=self.registry,
        )
        self.assigned_partitions = Gauge(
            "satfeed_frontend_assigned_partitions",
            "Kafka partitions the consumer reads",
            registry=self.registry,
        )
        self.missing_topics = Gauge(
            "satfeed_frontend_missing_topics",
            "Discovered topics that do not exist in Kafka",
            registry=self.registry,
        )
        self.kafka_up = Gauge(
            "satfeed_frontend_kafka_up",
            "1 while Kafka answers, 0 during an outage",
            registry=self.registry,
        )
        self.discovery_errors = Counter(
            "satfeed_frontend_discovery_errors",
            "Failed lists or watches of KafkaTopics, by namespace ('' for all namespaces)",
            ["namespace"],
            registry=self.registry,
        )
        self.elements_errors = Counter(
            "satfeed_frontend_elements_errors",
            "Failed lists or watches of the elements ConfigMaps (predicted tracks), by namespace",
            ["namespace"],
            registry=self.registry,
        )
        self.satellites = Gauge(
            "satfeed_frontend_satellites",
            "Satellites with records in memory",
            registry=self.registry,
        )
        self.objects = Gauge(
            "satfeed_frontend_objects",
            "Objects the page draws (group members and Satellites)",
            registry=self.registry,
        )
        self.tick_wait_seconds = Histogram(
            "satfeed_frontend_tick_wait_seconds",
            "From a tick's first record until it was pushed (waiting for its other records)",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
            registry=self.registry,
        )
        self.pass_prediction_seconds = Histogram(
            "satfeed_frontend_pass_prediction_seconds",
            "CPU time of one Satellite's passes predicted over the ground stations following "
            "it (in the background, not on a request)",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
            registry=self.registry,
        )
        self.sessions = Gauge(
            "satfeed_frontend_sessions",
            f"Browser pages drawn or sent an update in the last {SESSION_TIMEOUT_S:g} s",
            registry=self.registry,
        )
        self.draw_seconds = Histogram(
            "satfeed_frontend_draw_seconds",
            "Server time per whole drawing of a page (a Dash request)",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        # The same figures under the polling design's name, for dashboards and alerts that
        # still use it: kept for one release (docs/frontend.md, Changelog).
        self.poll_seconds = Histogram(
            "satfeed_frontend_poll_seconds",
            "Deprecated: use satfeed_frontend_draw_seconds (the same values)",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.update_bytes = Histogram(
            "satfeed_frontend_update_bytes",
            "Size of the whole drawings and of the pushed updates (each counted once, "
            "however many pages it is written to)",
            buckets=(256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576),
            registry=self.registry,
        )
        self.push_seconds = Histogram(
            "satfeed_frontend_push_seconds",
            "Server time to build, encode and hand out one tick's updates to every open page",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.update_streams = Gauge(
            "satfeed_frontend_update_streams",
            "Open update streams (one per open page)",
            registry=self.registry,
        )

    def drawn(self, seconds: float) -> None:
        """A whole drawing took ``seconds`` of server time."""
        self.draw_seconds.observe(seconds)
        self.poll_seconds.observe(seconds)

    def watch_feed(self, newest: NewestPositions) -> None:
        """Export the newest position per Satellite from ``newest`` at every scrape."""
        self.registry.register(_NewestPositionCollector(newest))
