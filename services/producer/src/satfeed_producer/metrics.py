"""The producer's Prometheus metrics, in a registry of its own (no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ProducerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.records_sent = Counter(
            "satfeed_producer_records_sent",
            "Records Kafka acknowledged",
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "satfeed_producer_delivery_failures",
            "Records Kafka refused or that could not be delivered",
            registry=self.registry,
        )
        self.records_dropped = Counter(
            "satfeed_producer_records_dropped",
            "Samples dropped because the buffer was full during a Kafka outage",
            registry=self.registry,
        )
        self.propagation_failures = Counter(
            "satfeed_producer_propagation_failures",
            "Samples not published because no plausible position could be computed (SGP4 "
            "error, a value that is not a number, or a place outside the orbit: decayed "
            "orbit, elements too old or out of range)",
            registry=self.registry,
        )
        self.elements_reloads = Counter(
            "satfeed_producer_elements_reloads",
            "Times new elements were loaded from the elements file",
            registry=self.registry,
        )
        self.delivery_latency = Histogram(
            "satfeed_producer_delivery_latency_seconds",
            "Time from handing a record to the Kafka client until Kafka acknowledged it",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=self.registry,
        )
        self.element_age = Gauge(
            "satfeed_producer_element_age_seconds",
            "Age of the element set at the latest sample (time since its epoch)",
            registry=self.registry,
        )
        self.last_sample_time = Gauge(
            "satfeed_producer_last_sample_timestamp_seconds",
            "Time (Unix seconds) of the newest sample handed to Kafka",
            registry=self.registry,
        )
        self.buffered_records = Gauge(
            "satfeed_producer_buffered_records",
            "Records waiting in the Kafka client for acknowledgement",
            registry=self.registry,
        )
