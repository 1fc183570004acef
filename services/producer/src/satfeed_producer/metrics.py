"""The producer's Prometheus metrics, in a registry of its own (no process-global state).

:class:`KafkaMetrics` are what every producer reports about its Kafka client and elements;
:class:`ProducerMetrics` adds a single Satellite's, :class:`GroupMetrics` a group shard's.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class KafkaMetrics:
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


class ProducerMetrics(KafkaMetrics):
    """A single Satellite's producer."""

    def __init__(self) -> None:
        super().__init__()
        self.propagation_failures = Counter(
            "satfeed_producer_propagation_failures",
            "Samples not published because no plausible position could be computed (SGP4 "
            "error, a value that is not a number, or a place outside the orbit: decayed "
            "orbit, elements too old or out of range)",
            registry=self.registry,
        )
        self.element_age = Gauge(
            "satfeed_producer_element_age_seconds",
            "Age of the element set at the latest sample (time since its epoch)",
            registry=self.registry,
        )


class GroupMetrics(KafkaMetrics):
    """One shard of a SatelliteGroup: one batch record per tick (schema v2)."""

    def __init__(self) -> None:
        super().__init__()
        self.members = Gauge(
            "satfeed_producer_members",
            "Group members this shard owns at the latest tick (0 when the shard is idle)",
            registry=self.registry,
        )
        self.members_unusable = Gauge(
            "satfeed_producer_members_unusable",
            "Group members whose elements cannot be propagated now or over the next orbit: "
            "never published",
            registry=self.registry,
        )
        self.shards = Gauge(
            "satfeed_producer_shards",
            "Shards sharing the group's members at the latest tick (the shard plan)",
            registry=self.registry,
        )
        self.objects_published = Counter(
            "satfeed_producer_objects_published",
            "Object positions in batch records Kafka acknowledged",
            registry=self.registry,
        )
        self.objects_failed = Counter(
            "satfeed_producer_objects_failed",
            "Object positions left out of a batch because no plausible position could be "
            "computed, by failure code (1-6: SGP4's errors; 7: not a number; 8: outside the "
            "orbit's envelope)",
            ["code"],
            registry=self.registry,
        )
        self.batch_bytes = Histogram(
            "satfeed_producer_batch_bytes",
            "Size of each batch record's value before compression",
            buckets=(1e3, 4e3, 16e3, 64e3, 128e3, 256e3, 512e3, 1e6),
            registry=self.registry,
        )
        self.shard_plan_reloads = Counter(
            "satfeed_producer_shard_plan_reloads",
            "Times a new shard plan was loaded from the shard plan file",
            registry=self.registry,
        )
        self.reload_errors = Counter(
            "satfeed_producer_reload_errors",
            "Changed elements or shard plan files that were refused (the last good ones are "
            "kept), by source",
            ["source"],
            registry=self.registry,
        )
