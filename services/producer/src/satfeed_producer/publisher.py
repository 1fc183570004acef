"""Kafka I/O: publishing records, riding out broker outages, reading back the newest sample.

:class:`KafkaPublisher` is what every producer shares (settings, outages, the buffer, SIGTERM
within two seconds); :class:`Publisher` publishes a single Satellite's JSON records, and
:class:`~satfeed_producer.batch_publisher.BatchPublisher` a group shard's batches.

Delivery guarantees: the producer is idempotent with ``acks=all`` and records never expire
in its buffer (``message.timeout.ms=0``), so every sample handed to Kafka is delivered
exactly once, in order, however long an outage lasts. The buffer holds at most
``buffer_records`` records; when it is full, *new* samples are dropped and counted in
``satfeed_producer_records_dropped_total`` until Kafka is back (the buffered ones are not
touched, so what reaches the topic has gaps, never duplicates or reordering).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from satfeed_core.kafka_security import KafkaSecurity
from satfeed_core.record import (
    PositionRecord,
    RecordError,
    decode_record,
    encode_record,
    record_key,
)

from satfeed_producer.config import ProducerConfig
from satfeed_producer.metrics import KafkaMetrics

log = logging.getLogger(__name__)
_client_log = logging.getLogger("satfeed_producer.kafka_client")

_OUTAGE_CODES = frozenset({KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT})
# How far back per partition to look for this satellite's newest record.
_READ_BACK = 64
# Longest a single blocking Kafka call may keep the producer from seeing SIGTERM.
_CALL_SLICE_S = 1.0

T = TypeVar("T")


TOPIC_RETRY_S: Final = 5.0
TOPIC_CHECK_S: Final = 1.5
"""Short, so that SIGTERM is acted on within two seconds while Kafka is unreachable."""


class TopicMissingError(RuntimeError):
    """The topic does not exist; Kafka here never creates topics on first use."""


class KafkaPublisher:
    """One topic's Kafka producer: outages logged once, a bounded buffer, SIGTERM-safe calls.

    ``tuning`` adds or overrides librdkafka settings (compression, linger, buffer bounds);
    ``buffer_text`` says how large the buffer is, for the log ("100000 records").
    """

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        topic: str,
        client_id: str,
        buffer_text: str,
        tuning: Mapping[str, Any],
        security: KafkaSecurity,
        metrics: KafkaMetrics,
        stopping: threading.Event,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.security = security
        self.topic = topic
        self._buffer_text = buffer_text
        self._metrics = metrics
        self._stopping = stopping
        self._lock = threading.Lock()
        self._outage_since: float | None = None
        self._buffer_full_logged = False
        self._failure_codes_logged: set[int] = set()
        self.delivered = 0
        """Records Kafka acknowledged since start."""
        self.last_contact: float | None = None
        """Monotonic time Kafka last answered (an acknowledgement or metadata)."""
        settings: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "client.id": client_id,
            "enable.idempotence": True,
            "acks": "all",
            "message.timeout.ms": 0,
            # Never ask the broker to create the topic, whatever its own setting: a producer
            # outliving its KafkaTopic must not bring the topic back.
            "allow.auto.create.topics": False,
            "error_cb": self._on_error,
            "logger": _client_log,
            **security.client_settings(),
            **tuning,
        }
        self._producer = Producer(settings)

    # -- state -------------------------------------------------------------------------
    @property
    def in_outage(self) -> bool:
        with self._lock:
            return self._outage_since is not None

    def _contact(self) -> None:
        with self._lock:
            self.last_contact = time.monotonic()
            since, self._outage_since = self._outage_since, None
            self._buffer_full_logged = False
        if since is not None:
            log.warning(
                "Kafka is reachable again after %.0f s; delivering the buffered records",
                time.monotonic() - since,
            )

    def _on_error(self, error: KafkaError) -> None:
        if error.code() not in _OUTAGE_CODES:
            log.warning("Kafka client error: %s", error.str())
            return
        with self._lock:
            starting = self._outage_since is None
            if starting:
                self._outage_since = time.monotonic()
        if starting:  # once per outage, not once per retry
            # librdkafka's own text ("0/2 brokers are down") counts brokers it has not met.
            what = (
                "no broker answers"
                if error.code() == KafkaError._ALL_BROKERS_DOWN
                else f"a broker connection failed: {error.str()}"
            )
            log.warning(
                "Kafka at %s is unreachable (%s); buffering up to %s and retrying",
                self.bootstrap_servers,
                what,
                self._buffer_text,
            )

    # -- topic -------------------------------------------------------------------------
    def _patiently(self, call: Callable[[float], T], timeout_s: float) -> T:
        """``call(timeout)`` in slices of at most a second, until it answers, ``timeout_s``
        passes or the producer is stopping (then the last KafkaException is raised)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return call(max(min(_CALL_SLICE_S, deadline - time.monotonic()), 0.1))
            except KafkaException:
                if self._stopping.is_set() or time.monotonic() >= deadline:
                    raise

    def check_topic(self, timeout_s: float = 10.0) -> int:
        """The topic's partition count; raises TopicMissingError or KafkaException."""
        metadata = self._patiently(
            lambda timeout: self._producer.list_topics(self.topic, timeout=timeout),
            timeout_s,
        )
        self._contact()
        topic = metadata.topics.get(self.topic)
        refused = KafkaError.TOPIC_AUTHORIZATION_FAILED
        if topic is not None and topic.error is not None and topic.error.code() == refused:
            raise TopicMissingError(
                f"Kafka at {self.bootstrap_servers} refuses {self.security.describe()} "
                f"access to topic {self.topic!r} (TOPIC_AUTHORIZATION_FAILED): the "
                "KafkaUser's ACLs must allow Write, Read and Describe on it"
            )
        if topic is None or topic.error is not None:
            raise TopicMissingError(
                f"topic {self.topic!r} does not exist in Kafka at "
                f"{self.bootstrap_servers}, which does not create topics on first use: "
                "create it (its KafkaTopic must be Ready) or fix --topic / SATFEED_TOPIC"
            )
        return len(topic.partitions)

    def flush_and_report(self, timeout_s: float) -> None:
        """The last flush before exiting, and a log line saying whether everything went."""
        remaining = self.flush(timeout_s)
        if remaining:
            log.error("%d records were not delivered within %.0f s", remaining, timeout_s)
        else:
            log.info("all records delivered; stopped after delivering %d records", self.delivered)

    def wait_for_topic(self) -> int | None:
        """The topic's partition count once it exists; None if stopped first. Each distinct
        problem is logged once, not once per retry."""
        reported: str | None = None
        while not self._stopping.is_set():
            try:
                return self.check_topic(timeout_s=TOPIC_CHECK_S)
            except (TopicMissingError, KafkaException) as error:
                problem = str(error)
                if problem != reported:
                    log.error("%s; retrying every %.0f s", problem, TOPIC_RETRY_S)
                    reported = problem
                self._stopping.wait(TOPIC_RETRY_S)
        return None

    # -- records -----------------------------------------------------------------------
    def produce(
        self,
        value: bytes,
        *,
        key: bytes,
        timestamp_ms: int,
        partition: int | None = None,
        objects: int = 1,
    ) -> bool:
        """Hand one record to the Kafka client; False if it was dropped (buffer full).

        ``objects`` is how many positions the record holds, passed to :meth:`acknowledged`.
        """
        try:
            self._producer.produce(
                self.topic,
                key=key,
                value=value,
                timestamp=timestamp_ms,
                # -1: the client's partitioner picks one by the key.
                partition=-1 if partition is None else partition,
                on_delivery=lambda error, message: self._on_delivery(error, message, objects),
            )
        except BufferError:
            self._metrics.records_dropped.inc()
            with self._lock:
                first, self._buffer_full_logged = not self._buffer_full_logged, True
            if first:
                log.error(
                    "the buffer of %s is full while Kafka is unreachable: new samples "
                    "are dropped (counted in satfeed_producer_records_dropped_total) until "
                    "it is back",
                    self._buffer_text,
                )
            return False
        finally:
            self.poll()
        return True

    def poll(self) -> None:
        self._producer.poll(0)
        self._metrics.buffered_records.set(len(self._producer))

    def acknowledged(self, objects: int) -> None:
        """Called for each record Kafka acknowledged, with the positions it held."""

    def _on_delivery(self, error: KafkaError | None, message: Message, objects: int) -> None:
        if error is None:
            self.delivered += 1
            self._metrics.records_sent.inc()
            self.acknowledged(objects)
            latency = message.latency()
            if latency is not None:
                self._metrics.delivery_latency.observe(latency)
            self._contact()
            return
        self._metrics.delivery_failures.inc()
        if error.code() not in self._failure_codes_logged:
            self._failure_codes_logged.add(error.code())
            log.error("Kafka did not accept a record for %s: %s", self.topic, error.str())

    def flush(self, timeout_s: float) -> int:
        """Deliver what is buffered within ``timeout_s``; returns how many records remain.

        During an outage it gives up after a second: nothing can be delivered then, and a
        stopping pod must not hang on to its grace period.
        """
        deadline = time.monotonic() + timeout_s
        started = time.monotonic()
        remaining = len(self._producer)
        while remaining and time.monotonic() < deadline:
            remaining = self._producer.flush(min(0.5, max(deadline - time.monotonic(), 0.0)))
            if self.in_outage and time.monotonic() - started >= _CALL_SLICE_S:
                break
        self._metrics.buffered_records.set(remaining)
        return int(remaining)


class Publisher(KafkaPublisher):
    """A single Satellite's producer: one JSON record (schema v1) per sample."""

    def __init__(
        self, config: ProducerConfig, metrics: KafkaMetrics, stopping: threading.Event
    ) -> None:
        self._satellite_id = config.satellite_id
        super().__init__(
            bootstrap_servers=config.bootstrap_servers,
            topic=config.topic,
            client_id=f"satfeed-producer-{config.satellite_id}",
            buffer_text=f"{config.buffer_records} records",
            tuning={
                "linger.ms": 20,
                "compression.type": "lz4",
                "queue.buffering.max.messages": config.buffer_records,
            },
            security=config.kafka_security,
            metrics=metrics,
            stopping=stopping,
        )

    def publish(self, record: PositionRecord) -> bool:
        """Hand one record to the Kafka client; False if it was dropped (buffer full)."""
        return self.produce(
            encode_record(record),
            key=record_key(record),
            timestamp_ms=round(record.time.timestamp() * 1000),
        )

    def newest_sample_time(self, timeout_s: float = 10.0) -> datetime | None:
        """Time of this satellite's newest record already in the topic, if any."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                **self.security.client_settings(),
                "group.id": f"satfeed-producer-probe-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "logger": _client_log,
            }
        )
        try:
            metadata = self._patiently(
                lambda timeout: consumer.list_topics(self.topic, timeout=timeout),
                timeout_s,
            )
            partitions = metadata.topics[self.topic].partitions
            assignments = []
            remaining = 0
            for partition in partitions:
                where = TopicPartition(self.topic, partition)

                def offsets(timeout: float, where: TopicPartition = where) -> tuple[int, int]:
                    low, high = consumer.get_watermark_offsets(where, timeout=timeout)
                    return int(low), int(high)

                low, high = self._patiently(offsets, timeout_s)
                if high > low:
                    start = max(low, high - _READ_BACK)
                    assignments.append(TopicPartition(self.topic, partition, start))
                    remaining += high - start
            if not assignments:
                return None
            consumer.assign(assignments)
            newest: datetime | None = None
            deadline = time.monotonic() + timeout_s
            while remaining > 0 and time.monotonic() < deadline and not self._stopping.is_set():
                message = consumer.poll(0.5)
                if message is None or message.error() is not None:
                    continue
                remaining -= 1
                newest = _later(newest, self._sample_time(message))
            return newest
        finally:
            consumer.close()

    def _sample_time(self, message: Message) -> datetime | None:
        if message.key() != self._satellite_id.encode():
            return None
        try:
            return decode_record(message.value() or b"").time
        except RecordError:
            return None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
