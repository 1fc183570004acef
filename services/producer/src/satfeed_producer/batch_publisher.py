"""Kafka I/O for a group shard: one batch record (schema v2) per tick.

Key: the shard index as text. Partition: the shard index modulo the topic's partitions (the
operator gives a group's topic at least as many partitions as shards, so each shard has a
partition of its own and its batches stay in time order). Compression and buffering suit
records of up to a megabyte, one a tick: see :data:`COMPRESSION` and :data:`LINGER_MS`.
"""

from __future__ import annotations

import threading
from typing import Final

from satfeed_core.batch import PositionBatch

from satfeed_producer.group_config import GroupConfig
from satfeed_producer.metrics import GroupMetrics
from satfeed_producer.publisher import KafkaPublisher

COMPRESSION: Final = "zstd"
"""Measured on the catalogue's batches (docs/benchmarks.md, Group producer): zstd stores a
tick in 15 % fewer bytes than lz4 (316.5 against 373 kB at 15,669 objects; lz4 finds almost
nothing to shorten in float columns of positions), for 1.1 ms more CPU a tick. The retention
disk (4.9 GB a day less at 1 Hz) outweighs 0.1 % of a core."""
LINGER_MS: Final = 5
"""One record a tick per shard: nothing to wait for but the catch-up after a stall."""


class BatchPublisher(KafkaPublisher):
    def __init__(
        self, config: GroupConfig, metrics: GroupMetrics, stopping: threading.Event
    ) -> None:
        super().__init__(
            bootstrap_servers=config.bootstrap_servers,
            topic=config.topic,
            client_id=f"satfeed-producer-{config.topic}-shard-{config.shard}",
            buffer_text=f"{config.buffer_mib} MiB of batches",
            tuning={
                "linger.ms": LINGER_MS,
                "compression.type": COMPRESSION,
                # A batch is up to 40,000 objects (960 kB): bound the buffer by size.
                "queue.buffering.max.kbytes": config.buffer_mib * 1024,
                "queue.buffering.max.messages": 1_000_000,
            },
            security=config.kafka_security,
            metrics=metrics,
            stopping=stopping,
        )
        self.shard = config.shard
        self.partitions = 1
        """The topic's partition count, from :meth:`check_topic`."""
        self._group_metrics = metrics

    def check_topic(self, timeout_s: float = 10.0) -> int:
        self.partitions = super().check_topic(timeout_s)
        return self.partitions

    def publish_batch(self, value: bytes, batch: PositionBatch) -> bool:
        """Hand one encoded batch to the Kafka client; False if it was dropped (buffer full)."""
        return self.produce(
            value,
            key=str(self.shard).encode(),
            timestamp_ms=batch.time_ms,
            partition=self.shard % self.partitions,
            objects=len(batch),
        )

    def acknowledged(self, objects: int) -> None:
        self._group_metrics.objects_published.inc(objects)
