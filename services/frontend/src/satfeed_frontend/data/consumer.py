"""The frontend process's one Kafka consumer, on one thread, feeding :class:`FeedState`.

Partitions are assigned by hand (no consumer group, nothing committed): every frontend
replica reads everything it shows. As a Strimzi KafkaUser it needs Read and Describe on the
topics it shows and Describe on the groups whose names start with :data:`GROUP_PREFIX` (the
coordinator lookup), nothing else: the metadata request lists only the topics it may
describe.

The thread asks Kafka which topics exist (a metadata request: 33 ms at 1,000 topics) when
discovery changed (:meth:`TopicSource.version`), while a wanted topic is missing, every
:data:`PATTERN_EVERY_S` in ``--topic-pattern`` mode, and otherwise every
:data:`RESYNC_EVERY_S`; then asks the :class:`TopicSource` which topics to show, and
assigns or unassigns partitions to match. A newly assigned partition of a Satellite's topic
starts ``history`` records before its end (or at the first record inside the history
window, found with ``offsets_for_times``, as records' Kafka timestamps are their sample
times), which is the backfill; a group's topic (position batches, schema v2) starts
:data:`BATCH_BACKFILL` records before its end, enough for the latest batch of every shard
writing to the partition: its members' positions go into arrays, not histories.

Records are told apart by their first bytes: a position batch starts with ``SFPB``
(:mod:`satfeed_core.batch`), a schema-v1 record is JSON. Bad records are skipped and
counted; each distinct problem is logged once per topic (for batches: once per episode,
until a good batch comes). When Kafka cannot be reached the thread keeps trying (the client
reconnects by itself), and the feed carries the outage so the page can show its data as
stale.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from satfeed_core.batch import MAGIC, BatchError, decode_batch
from satfeed_core.elements import Elements
from satfeed_core.kafka_security import KafkaSecurity, PasswordWatch
from satfeed_core.record import RecordError, decode_record
from satfeed_core.usability import plausible_position

from satfeed_frontend.data.catalogue import Catalogue
from satfeed_frontend.data.discovery import TopicSource
from satfeed_frontend.data.feed import FeedState, TopicInfo
from satfeed_frontend.metrics import FrontendMetrics

log = logging.getLogger(__name__)
kafka_client_log = logging.getLogger("satfeed_frontend.kafka_client")

RESYNC_EVERY_S: Final = 30.0
"""Kafka's topics are listed at least this often (partitions added, topics deleted behind
discovery's back), and whenever discovery changes."""
PATTERN_EVERY_S: Final = 5.0
"""``--topic-pattern``: how often Kafka's topics are listed to find new matching ones."""
RETRY_EVERY_S: Final = 1.0
"""While Kafka is unreachable, or a wanted topic is missing or could not be positioned."""
BATCH_BACKFILL: Final = 4
"""Records read back in each partition of a group's topic: the latest batch of up to four
shards writing to one partition."""
LAG_EVERY_S: Final = 5.0
GROUP_PREFIX: Final = "satfeed-frontend-"
"""Of the consumer group id the client requires, made unique per process. No group is
joined and nothing is committed, but librdkafka still looks up the group's coordinator, so
a KafkaUser needs Describe (not Read) on groups with this prefix (the frontend chart's
KafkaUser grants it)."""
_METADATA_TIMEOUT_S: Final = 5.0
_BATCH: Final = 1000
_CONSUME_TIMEOUT_S: Final = 0.1
# Errors that suggest the cluster is out of reach: they bring the next metadata request
# forward, and its failure (not the error) starts an outage.
_OUTAGE_CODES: Final = frozenset(
    {KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT, KafkaError._RESOLVE}
)

PartitionKey = tuple[str, int]


def start_offset(low: int, high: int, history: int, first_in_window: int | None) -> int:
    """Where to start reading a partition: ``history`` records before its end, but not
    before its first record, nor before the first record inside the time window
    (``first_in_window``: -1 when every record is older, None without a window)."""
    start = max(low, high - history)
    if first_in_window is not None:
        start = max(start, high if first_in_window < 0 else first_in_window)
    return start


@dataclass
class _ProblemLog:
    """Logs a problem once per key (a topic, say), until the key is cleared."""

    reported: set[str]

    def once(self, key: str, problem: str) -> None:
        if key not in self.reported:
            self.reported.add(key)
            log.warning("%s", problem)

    def clear(self, key: str) -> bool:
        """Forget the key; True if it had been reported."""
        if key in self.reported:
            self.reported.discard(key)
            return True
        return False


class FeedConsumer:
    def __init__(
        self,
        bootstrap_servers: str,
        feed: FeedState,
        source: TopicSource,
        metrics: FrontendMetrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        elements_of: Callable[[int], Elements | None] = lambda norad_id: None,
        catalogue: Catalogue | None = None,
        security: KafkaSecurity | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.security = security if security is not None else KafkaSecurity()
        """Plaintext, or a KafkaUser's SCRAM credentials over TLS (read when the client is
        made)."""
        self.catalogue = catalogue if catalogue is not None else Catalogue(feed, elements_of)
        """Every object's latest position, group members and Satellites alike."""
        self.elements_of = elements_of
        """The object's elements by NORAD id, when known: positions are judged by them."""
        self.feed = feed
        self.source = source
        self.metrics = metrics
        # Read at each scrape: set at the next metadata request instead, it lagged the feed
        # by up to RESYNC_EVERY_S (0 for the first 30 s of a static topic list).
        metrics.satellites.set_function(feed.track_count)
        self.clock = clock
        self.reachable = False
        """True after Kafka answered, until it stops answering."""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafka-consumer", daemon=True)
        self._assigned: set[PartitionKey] = set()
        self._consumer: Consumer  # made by the thread, in _run
        self._password = PasswordWatch(self.security)
        self._problems = _ProblemLog(set())
        self._in_outage = False
        self._next_reconcile = 0.0
        """Monotonic time of the next metadata request; 0 asks for one at once."""
        self._source_version: int | None = None
        self._infos: dict[str, TopicInfo] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)  # the thread closes the client on its way out

    def _client(self) -> Consumer:
        # SCRAM-SHA-512 over TLS as a KafkaUser: its password is read from the mounted Secret
        # here; the client keeps it for every reconnection, until the password is rotated.
        security = self.security.client_settings()
        self._password.made_with(security)
        return Consumer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                # Required by the client, never joined: partitions are assigned by hand.
                "group.id": f"{GROUP_PREFIX}{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                # Come back within 2 s of the broker's return, not after the default 10 s.
                "reconnect.backoff.max.ms": 2000,
                "error_cb": self._on_error,
                "logger": kafka_client_log,
                **security,
            }
        )

    def _run(self) -> None:
        # Made in the thread that uses it: nothing connects before start().
        self._consumer = self._client()
        next_lag = 0.0
        try:
            while not self._stopping.is_set():
                now = time.monotonic()
                if now >= self._next_reconcile or self.source.version() != self._source_version:
                    self._source_version = self.source.version()
                    self._next_reconcile = time.monotonic() + self._reconcile()
                if now >= next_lag:
                    self._measure_lag()
                    if self._password.rotated():
                        self._reconnect()
                    next_lag = now + LAG_EVERY_S
                if self._assigned:
                    self._take_records()
                else:
                    self._consumer.poll(_CONSUME_TIMEOUT_S)  # serves error callbacks
        except Exception:
            log.exception("the Kafka consumer thread failed; the page no longer updates")
            raise
        finally:
            self._consumer.close()

    def _reconnect(self) -> None:
        """A new client with the rotated password, reading on from where the old one was:
        nothing is read twice or skipped (a partition it had not started on is positioned
        again by the next metadata request)."""
        log.info(
            "the KafkaUser's password was rotated (%s): connecting anew with the new one",
            self.security.describe(),
        )
        assigned = [TopicPartition(t, p) for t, p in sorted(self._assigned)]
        positions = self._consumer.position(assigned) if assigned else []
        self._consumer.close()
        self._consumer = self._client()
        resumed = [tp for tp in positions if tp.offset >= 0]
        if resumed:
            self._consumer.incremental_assign(resumed)
        self._assigned = {(tp.topic, tp.partition) for tp in resumed}
        self._next_reconcile = 0.0

    def _take_records(self) -> None:
        """Waits for a record, then takes what else has come, without waiting. (``consume``
        alone waits for a whole batch or its timeout: that held every record back by up to
        the timeout, and split a tick's records across two updates.)"""
        first = self._consumer.poll(_CONSUME_TIMEOUT_S)
        if first is None:
            return
        self._handle(first)
        for message in self._consumer.consume(_BATCH, 0):
            self._handle(message)

    # -- assignment -----------------------------------------------------------------------

    def _reconcile(self) -> float:
        """Assign what discovery wants; returns how long until the next metadata request."""
        self.metrics.metadata_requests.inc()
        try:
            metadata = self._consumer.list_topics(timeout=_METADATA_TIMEOUT_S)
        except KafkaException as error:
            self._outage(f"Kafka at {self.bootstrap_servers} is unreachable ({error.args[0]})")
            return RETRY_EVERY_S
        self._reachable_again()
        existing = {name for name, meta in metadata.topics.items() if meta.error is None}
        infos = self.source.topics(existing)
        self._infos = {info.topic: info for info in infos}
        self.feed.set_topics(infos)
        self.catalogue.set_topics(infos)
        wanted: set[PartitionKey] = set()
        missing = 0
        for info in infos:
            meta = metadata.topics.get(info.topic)
            if meta is None or meta.error is not None:
                missing += 1
                problem = f"topic {info.topic!r} of {info.source} does not exist in Kafka"
                self.feed.set_topic_problem(info.topic, "does not exist in Kafka")
                self._problems.once(f"topic:{info.topic}", problem)
                continue
            self.feed.set_topic_problem(info.topic, None)
            if self._problems.clear(f"topic:{info.topic}"):
                log.info("topic %r now exists in Kafka", info.topic)
            wanted.update((info.topic, partition) for partition in meta.partitions)
        self.metrics.missing_topics.set(missing)
        gone = self._assigned - wanted
        if gone:
            self._consumer.incremental_unassign([TopicPartition(t, p) for t, p in sorted(gone)])
            self._assigned -= gone
            log.info("stopped reading %s", _describe(gone))
        new = wanted - self._assigned
        if new:
            positioned = self._backfill_positions(sorted(new))
            if positioned:
                self._consumer.incremental_assign(positioned)
                self._assigned.update((tp.topic, tp.partition) for tp in positioned)
                log.info(
                    "reading %s from %s",
                    _describe((tp.topic, tp.partition) for tp in positioned),
                    ", ".join(f"{tp.topic}[{tp.partition}]@{tp.offset}" for tp in positioned),
                )
        self.metrics.assigned_partitions.set(len(self._assigned))
        if missing or self._assigned != wanted:
            return RETRY_EVERY_S
        return PATTERN_EVERY_S if self.source.needs_kafka_topics() else RESYNC_EVERY_S

    def _backfill_positions(self, keys: list[PartitionKey]) -> list[TopicPartition]:
        first_in_window: dict[PartitionKey, int] = {}
        window = self.feed.window
        try:
            if window is not None:
                since_ms = int((self.clock() - window).timestamp() * 1000)
                found = self._consumer.offsets_for_times(
                    [TopicPartition(t, p, since_ms) for t, p in keys], timeout=_METADATA_TIMEOUT_S
                )
                first_in_window = {(tp.topic, tp.partition): tp.offset for tp in found}
            positioned = []
            for topic, partition in keys:
                low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=_METADATA_TIMEOUT_S
                )
                info = self._infos.get(topic)
                if info is not None and info.batched:
                    offset = start_offset(low, high, BATCH_BACKFILL, None)
                else:
                    offset = start_offset(
                        low, high, self.feed.capacity, first_in_window.get((topic, partition))
                    )
                positioned.append(TopicPartition(topic, partition, offset))
        except KafkaException as error:
            # Assigned on the next round; until then the topic shows as waiting for records.
            self._problems.once(
                "backfill", f"cannot find where to start reading {_describe(keys)}: {error}"
            )
            return []
        self._problems.clear("backfill")
        return positioned

    def _measure_lag(self) -> None:
        if not self._assigned:
            self.metrics.consumer_lag.set(0)
            return
        lag = 0
        assigned = [TopicPartition(t, p) for t, p in self._assigned]
        try:
            for position in self._consumer.position(assigned):
                if position.offset < 0:  # nothing fetched yet
                    continue
                _low, high = self._consumer.get_watermark_offsets(position, cached=True)
                lag += max(0, high - position.offset)
        except KafkaException:
            return  # during an outage the last value stands
        self.metrics.consumer_lag.set(lag)

    # -- records --------------------------------------------------------------------------

    def _handle(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            if error.code() in _OUTAGE_CODES:
                self._next_reconcile = 0.0  # a metadata request now tells
            else:
                self._problems.once(
                    f"read:{message.topic()}",
                    f"cannot read topic {message.topic()!r}: {error.str()}",
                )
            return
        topic = message.topic() or ""
        value = message.value() or b""
        if value[:4] == MAGIC:
            self._handle_batch(topic, message, value)
            return
        try:
            record = decode_record(value)
        except RecordError as bad:
            field = bad.field or "record"
            self.metrics.records_malformed.labels(field=field).inc()
            self._problems.once(
                f"malformed:{topic}",
                f"skipping malformed records in topic {topic!r} (partition {message.partition()}, "
                f"offset {message.offset()}: {bad}); further ones are only counted in "
                f"satfeed_frontend_records_malformed_total",
            )
            return
        self._reachable_again()
        if not plausible_position(self.elements_of(record.norad_id), record.lat, record.alt_km):
            # Never drawn: a writer that did not check published a place no orbit holds.
            self.metrics.records_malformed.labels(field="position").inc()
            self._problems.once(
                f"implausible:{topic}",
                f"skipping positions in topic {topic!r} that no orbit could hold (e.g. "
                f"{record.name} at {record.alt_km:.0f} km, {record.time.isoformat()}); further "
                "ones are only counted in satfeed_frontend_records_malformed_total"
                '{field="position"}',
            )
            return
        if self.feed.add(topic, record):
            self.metrics.records_consumed.inc()
            self.metrics.positions_consumed.inc()
            info = self._infos.get(topic)
            self.catalogue.add_record(topic, record, info.display_name if info else None)
        else:
            self.metrics.records_out_of_order.inc()

    def _handle_batch(self, topic: str, message: Message, value: bytes) -> None:
        """A group's position batch: decoded as whole numpy columns, into the catalogue."""
        try:
            batch = decode_batch(value)
        except BatchError as bad:
            self.metrics.records_malformed.labels(field="batch").inc()
            self._problems.once(
                f"malformed-batch:{topic}",
                f"skipping malformed position batches in topic {topic!r} (partition "
                f"{message.partition()}, offset {message.offset()}: {bad}); further ones are "
                'only counted in satfeed_frontend_records_malformed_total{field="batch"} until '
                "a good batch comes",
            )
            return
        self._reachable_again()
        try:
            result = self.catalogue.add_batch(topic, batch)
        except Exception:  # a batch this reader cannot place must not stop the reading
            self.metrics.records_malformed.labels(field="batch").inc()
            if f"malformed-batch:{topic}" not in self._problems.reported:
                self._problems.reported.add(f"malformed-batch:{topic}")
                log.exception(
                    "skipping a position batch of topic %r (partition %s, offset %s) that "
                    "could not be placed; further ones are only counted",
                    topic,
                    message.partition(),
                    message.offset(),
                )
            return
        if self._problems.clear(f"malformed-batch:{topic}"):
            log.info("topic %r has good position batches again", topic)
        self.metrics.records_consumed.inc()
        self.metrics.batches_consumed.inc()
        self.metrics.positions_consumed.inc(result.kept)
        if result.implausible:
            self.metrics.records_malformed.labels(field="position").inc(result.implausible)
            self._problems.once(
                f"implausible-batch:{topic}",
                f"skipping positions in topic {topic!r} that no orbit could hold (e.g. "
                f"{result.example}); further ones are only counted in "
                'satfeed_frontend_records_malformed_total{field="position"}',
            )
        if result.older:
            self.metrics.records_out_of_order.inc(result.older)

    # -- outages --------------------------------------------------------------------------

    def _on_error(self, error: KafkaError) -> None:
        # Not an outage by itself: errors queued during an outage are delivered after it
        # ends. The metadata request it brings forward decides.
        if error.code() in _OUTAGE_CODES:
            self._next_reconcile = 0.0
        kafka_client_log.info("Kafka client: %s", error.str())

    def _outage(self, problem: str) -> None:
        if not self._in_outage:  # once per outage, not once per retry
            log.error("%s; retrying, the page shows its data as stale", problem)
            self._in_outage = True
        self.reachable = False
        self.metrics.kafka_up.set(0)
        self.feed.set_kafka_problem("Kafka is unreachable", self.clock())

    def _reachable_again(self) -> None:
        if self.reachable:
            return
        if self._in_outage:
            log.info("Kafka at %s is reachable again", self.bootstrap_servers)
            self._in_outage = False
        self.reachable = True
        self.metrics.kafka_up.set(1)
        self.feed.set_kafka_problem(None, self.clock())


def _describe(keys: Iterable[PartitionKey]) -> str:
    by_topic: dict[str, list[int]] = {}
    for topic, partition in keys:
        by_topic.setdefault(topic, []).append(partition)
    return ", ".join(
        f"topic {topic!r} partition{'s' if len(ps) > 1 else ''} {','.join(map(str, sorted(ps)))}"
        for topic, ps in sorted(by_topic.items())
    )
