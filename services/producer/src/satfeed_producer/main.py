"""``satfeed-producer``: sample a satellite's position on a fixed cadence into Kafka.

With ``--elements-dir`` it runs one shard of a SatelliteGroup instead
(:mod:`satfeed_producer.group_service`); what follows is a single Satellite's producer.

Start-up: parse the settings (a usage error exits 2), load and check the elements (bad
elements exit 2 with the line, column and problem), serve /healthz /readyz /metrics, wait
until the topic exists (not ready meanwhile, logged once), backfill the recent past, then
publish one record per grid time until SIGTERM or SIGINT, which flushes and exits 0.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType

from confluent_kafka import KafkaException
from satfeed_core import cadence
from satfeed_core.elements_source import ElementsSource
from satfeed_core.record import RecordError
from satfeed_core.sampling import Identity, Sampler

from satfeed_producer.config import ProducerConfig, parse_settings
from satfeed_producer.group_config import GroupConfig
from satfeed_producer.group_service import run_group
from satfeed_producer.health import HealthServer
from satfeed_producer.logs import configure_logging
from satfeed_producer.metrics import ProducerMetrics
from satfeed_producer.publisher import Publisher

log = logging.getLogger("satfeed_producer")

EXIT_USAGE = 2


class ProducerService:
    def __init__(self, config: ProducerConfig, sampler: Sampler, source: ElementsSource) -> None:
        self.config = config
        self.sampler = sampler
        self.source = source
        self.metrics = ProducerMetrics()
        self.stopping = threading.Event()
        self.publisher = Publisher(config, self.metrics, self.stopping)
        self.topic_ready = False
        self.propagation_problem: str | None = None
        self.health = HealthServer(
            config.http_host, config.http_port, self.metrics.registry, self.readiness
        )

    def readiness(self) -> tuple[bool, str]:
        if not self.topic_ready:
            return False, f"waiting for topic {self.config.topic!r} in Kafka"
        if self.propagation_problem:
            return False, self.propagation_problem
        if self.publisher.in_outage:
            return False, f"Kafka at {self.config.bootstrap_servers} is unreachable"
        return True, "ok"

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: flushing and stopping", signal.Signals(signum).name)
        self.stopping.set()

    def wait_for_topic(self) -> None:
        partitions = self.publisher.wait_for_topic()
        if partitions is not None:
            log.info("topic %r exists with %d partition(s)", self.config.topic, partitions)
            self.topic_ready = True

    def publish_at(self, indices: Sequence[int]) -> None:
        times = [cadence.grid_time(i, self.config.interval_s) for i in indices]
        records, errors = self.sampler.sample(times)
        for record in records:
            self.publisher.publish(record)
        if records:
            self.metrics.last_sample_time.set(records[-1].time.timestamp())
        if errors:
            # Never published: a sample without a plausible position is counted and skipped.
            self.metrics.propagation_failures.inc(len(errors))
            if self.propagation_problem is None:  # once per episode, not once per sample
                log.error(
                    "%s; samples are skipped until positions can be computed again "
                    "(counted in satfeed_producer_propagation_failures_total)",
                    errors[0],
                )
            self.propagation_problem = str(errors[-1])
        elif records and self.propagation_problem is not None:
            log.info("positions can be computed again; publishing")
            self.propagation_problem = None
        if times:
            self.metrics.element_age.set((times[-1] - self.sampler.elements.epoch).total_seconds())

    def backfill(self, now: float) -> None:
        """Publish the samples of the recent past, up to the grid time at ``now``."""
        if self.config.backfill == 0:
            return
        try:
            newest = self.publisher.newest_sample_time()
        except KafkaException as error:
            log.warning("cannot read the topic's newest sample (%s); backfilling all", error)
            newest = None
        indices = cadence.backfill_indices(
            now, self.config.interval_s, self.config.backfill, newest
        )
        self.publish_at(indices)
        log.info("backfilled %d samples (newest already in the topic: %s)", len(indices), newest)

    def reload_elements(self) -> None:
        new = self.source.changed()
        if new is None:
            return
        self.metrics.elements_reloads.inc()
        log.info(
            "loaded new elements from %s: epoch %s (was %s)",
            self.source.origin,
            new.epoch.isoformat(),
            self.sampler.elements.epoch.isoformat(),
        )
        self.sampler = Sampler(new, self.sampler.identity, self.config.engine)

    def run(self) -> int:
        self.health.start()
        log.info(
            "satfeed-producer for %s (NORAD %d) -> topic %r at %s (%s) every %g s; http on %s:%d",
            self.config.satellite_id,
            self.sampler.elements.norad_id,
            self.config.topic,
            self.config.bootstrap_servers,
            self.config.kafka_security.describe(),
            self.config.interval_s,
            self.config.http_host,
            self.health.port,
        )
        try:
            self.wait_for_topic()
            # The loop starts right after the backfill's last grid time, whatever the
            # backfill took: grid times that passed meanwhile are caught up, not skipped.
            started = time.time()
            if not self.stopping.is_set():
                self.backfill(started)
            next_tick = cadence.next_index(started, self.config.interval_s)
            while not self.stopping.is_set():
                due = cadence.grid_time(next_tick, self.config.interval_s).timestamp()
                # Wake at the grid time (from the clock, so waits never add up to drift);
                # poll the Kafka client while waiting so callbacks run promptly.
                while not self.stopping.is_set() and (wait := due - time.time()) > 0:
                    self.stopping.wait(min(wait, 0.5))
                    self.publisher.poll()
                if self.stopping.is_set():
                    break
                self.reload_elements()
                late = cadence.grid_index(time.time(), self.config.interval_s)
                # After a stall (suspend, long GC) catch up on the missed grid times.
                self.publish_at(range(next_tick, late + 1))
                next_tick = late + 1
        finally:
            self.publisher.flush_and_report(self.config.flush_timeout_s)
            self.health.stop()
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_settings(argv)
    configure_logging(config.log_format, config.log_level)
    if isinstance(config, GroupConfig):
        return run_group(config)
    source = ElementsSource(
        text=config.elements_text,
        path=config.elements_file,
        norad_id=config.norad_id,
        stale_after=config.elements_stale_after,
    )
    try:
        elements = source.load()
    except (ValueError, OSError) as error:
        log.error("cannot use the elements: %s", error)
        return EXIT_USAGE
    # One sample now catches, before anything starts, what would fail every record later;
    # the elements were found usable now (source.load), so only the identity can fail here.
    identity = Identity(config.satellite_id, config.display_name or elements.name)
    sampler = Sampler(elements, identity, config.engine)
    try:
        sampler.sample([datetime.now(UTC)])
    except RecordError as error:
        log.error("cannot publish records: %s (check --satellite-id / --display-name)", error)
        return EXIT_USAGE
    service = ProducerService(config, sampler, source)
    signal.signal(signal.SIGTERM, service.stop)
    signal.signal(signal.SIGINT, service.stop)
    return service.run()


if __name__ == "__main__":
    sys.exit(main())
