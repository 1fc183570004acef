"""``satfeed-producer --elements-dir``: one shard of a SatelliteGroup, one batch a tick.

Start-up: load the members and the shard plan (a bad file exits 2 naming it), serve
/healthz /readyz /metrics, wait until the topic exists, then at every grid time publish this
shard's batch (:mod:`satfeed_producer.shard`) until SIGTERM or SIGINT, which flushes and
exits 0. Each tick first looks for changed files (:mod:`satfeed_producer.group_reload`).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Final

from confluent_kafka import KafkaException
from satfeed_core import cadence
from satfeed_core.batch import encode_batch
from satfeed_core.propagation import PropagationError
from satfeed_core.shards import ShardPlan

from satfeed_producer.batch_publisher import BatchPublisher
from satfeed_producer.group_config import GroupConfig
from satfeed_producer.group_reload import GroupReloader
from satfeed_producer.group_source import ElementsDir, GroupSourceError, LoadedMembers, PlanFile
from satfeed_producer.health import HealthServer
from satfeed_producer.metrics import GroupMetrics
from satfeed_producer.publisher import TOPIC_CHECK_S, TopicMissingError
from satfeed_producer.shard import FailingMembers, ShardTicker, Tick

log = logging.getLogger("satfeed_producer")

EXIT_USAGE: Final = 2
_CATCH_UP_S: Final = 60.0
"""After a stall, the missed grid times of the last minute are published; older ones are
skipped (a minute of 16,069 objects is 23 MB of batches)."""
_LISTED: Final = 5
"""NORAD ids named in a log line about many members."""


def describe_plan(plan: ShardPlan) -> str:
    if plan.previous == plan.shards:
        return f"{plan.shards} shard(s)"
    return (
        f"{plan.previous} shard(s), {plan.shards} from {plan.switch_at.astimezone(UTC).isoformat()}"
    )


def _listed(ids: Sequence[int]) -> str:
    shown = ", ".join(map(str, ids[:_LISTED]))
    return shown + (f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else "")


class GroupService:
    def __init__(
        self, config: GroupConfig, reloader: GroupReloader, loaded: LoadedMembers, plan: ShardPlan
    ) -> None:
        self.config = config
        self.reloader = reloader
        self.metrics = GroupMetrics()
        self.stopping = threading.Event()
        self.publisher = BatchPublisher(config, self.metrics, self.stopping)
        self.ticker = ShardTicker(config.shard, loaded.members, plan)
        self.topic_ready = False
        self.last_tick: Tick | None = None
        self.failing = FailingMembers()
        self.health = HealthServer(
            config.http_host, config.http_port, self.metrics.registry, self.readiness
        )
        self._report_members(loaded)

    # -- health --------------------------------------------------------------------------
    def readiness(self) -> tuple[bool, str]:
        if not self.topic_ready:
            return False, f"waiting for topic {self.config.topic!r} in Kafka"
        if self.publisher.in_outage:
            return False, f"Kafka at {self.config.bootstrap_servers} is unreachable"
        tick = self.last_tick
        if tick is None:
            return True, f"ok: shard {self.config.shard}, starting"
        if tick.idle:
            return True, (
                f"idle: shard {self.config.shard} has no members while {tick.shards} shard(s) "
                f"share the group (shard plan: {describe_plan(self.ticker.plan)})"
            )
        return True, (
            f"ok: shard {self.config.shard} of {tick.shards} publishes "
            f"{tick.owned - len(tick.failed_id)} of its {tick.owned} members"
        )

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: flushing and stopping", signal.Signals(signum).name)
        self.stopping.set()

    # -- start-up ------------------------------------------------------------------------
    def wait_for_topic(self) -> None:
        partitions = self.publisher.wait_for_topic()
        if partitions is None:
            return
        log.info(
            "topic %r exists with %d partition(s); shard %d writes to partition %d",
            self.config.topic,
            partitions,
            self.config.shard,
            self.config.shard % partitions,
        )
        self._check_partitions()
        self.topic_ready = True

    def _check_partitions(self) -> None:
        if self.ticker.plan.shards > self.publisher.partitions:
            log.warning(
                "topic %r has %d partition(s) for %d shards: shards share partitions, so a "
                "partition's batches come from several shards (readers still see each member "
                "once per tick); give the topic at least as many partitions as shards",
                self.config.topic,
                self.publisher.partitions,
                self.ticker.plan.shards,
            )

    # -- reloads -------------------------------------------------------------------------
    def _report_members(self, loaded: LoadedMembers) -> None:
        self.metrics.members_unusable.set(len(loaded.unusable))
        log.info(
            "%d objects in %s: %d members usable (%d of them stale), %d unusable",
            loaded.objects,
            ", ".join(loaded.files),
            len(loaded.members),
            len(loaded.stale),
            len(loaded.unusable),
        )
        if loaded.unusable:
            log.warning(
                "%d objects cannot be propagated now or over the next orbit and are never "
                "published (first: %s)",
                len(loaded.unusable),
                loaded.unusable[0].message,
            )
        if loaded.stale:
            oldest = max(loaded.stale, key=lambda verdict: verdict.age)
            log.warning(
                "%d members have elements older than %g days: positions drift from the real "
                "ones; refresh the group's elements (oldest: %s)",
                len(loaded.stale),
                self.config.elements_stale_after.total_seconds() / 86400,
                oldest.message,
            )

    def reload(self, now: datetime) -> None:
        changes = self.reloader.poll()
        for source, _ in changes.errors:
            self.metrics.reload_errors.labels(source=source).inc()
        if changes.plan is not None and changes.plan != self.ticker.plan:
            self._apply_plan(changes.plan, now)
        if changes.members is not None:
            self.metrics.elements_reloads.inc()
            self._report_members(changes.members)
            self.ticker.replace_members(changes.members.members)
            self.ticker.prepare(now)

    def _apply_plan(self, plan: ShardPlan, now: datetime) -> None:
        before = self.ticker.plan.shards_at(now)
        self.metrics.shard_plan_reloads.inc()
        log.info(
            "new shard plan: %s (was %s)", describe_plan(plan), describe_plan(self.ticker.plan)
        )
        if plan.switch_at <= now and plan.shards_at(now) != before:
            log.warning(
                "the new shard plan's switch at %s had passed when this shard read it: "
                "members moving between shards may have been published twice or not at all "
                "since then; the operator must write the plan further ahead",
                plan.switch_at.isoformat(),
            )
        self.ticker.replace_plan(plan)
        self.ticker.prepare(now)
        try:
            self.publisher.check_topic(timeout_s=TOPIC_CHECK_S)
        except (TopicMissingError, KafkaException) as error:
            log.warning(
                "cannot read the topic's partitions (%s); keeping %d",
                error,
                self.publisher.partitions,
            )
        self._check_partitions()

    # -- ticks ---------------------------------------------------------------------------
    def publish_at(self, indices: Sequence[int]) -> None:
        for index in indices:
            tick = self.ticker.tick(cadence.grid_time(index, self.config.interval_s))
            self._note(tick)
            if tick.batch is None:
                continue
            value = encode_batch(tick.batch)
            self.metrics.batch_bytes.observe(len(value))
            if self.publisher.publish_batch(value, tick.batch):
                self.metrics.last_sample_time.set(tick.time.timestamp())

    def _note(self, tick: Tick) -> None:
        """Metrics and the log lines a tick calls for: once per change, never per tick."""
        previous, self.last_tick = self.last_tick, tick
        self.metrics.members.set(tick.owned)
        self.metrics.shards.set(tick.shards)
        if previous is None or previous.idle != tick.idle or previous.shards != tick.shards:
            if tick.idle:
                log.info(
                    "shard %d is idle from %s: %d shard(s) share the group; publishing nothing "
                    "until the shard plan has more",
                    self.config.shard,
                    tick.time.isoformat(),
                    tick.shards,
                )
            else:
                log.info(
                    "from %s shard %d of %d owns %d members",
                    tick.time.isoformat(),
                    self.config.shard,
                    tick.shards,
                    tick.owned,
                )
        for code, count in tick.failure_counts().items():
            self.metrics.objects_failed.labels(code=str(code)).inc(count)
        started, ended = self.failing.update(tick)
        if started:
            code = int(tick.failed_code[tick.failed_id.tolist().index(started[0])])
            elements = self.ticker.members.get(started[0])
            example = (
                str(PropagationError(elements, tick.time, code)) if elements else f"code {code}"
            )
            log.error(
                "%d members have no plausible position from %s: NORAD %s; left out of the "
                "batches until they have one again (counted in "
                "satfeed_producer_objects_failed_total). First: %s",
                len(started),
                tick.time.isoformat(),
                _listed(started),
                example,
            )
        if ended:
            log.info(
                "%d members are no longer failing at %s (they have a position again, or "
                "belong to another shard or the elements changed): NORAD %s",
                len(ended),
                tick.time.isoformat(),
                _listed(ended),
            )

    def run(self) -> int:
        self.health.start()
        log.info(
            "satfeed-producer group shard %d -> topic %r at %s (%s) every %g s; %d members, "
            "shard plan: %s; http on %s:%d",
            self.config.shard,
            self.config.topic,
            self.config.bootstrap_servers,
            self.config.kafka_security.describe(),
            self.config.interval_s,
            len(self.ticker.members),
            describe_plan(self.ticker.plan),
            self.config.http_host,
            self.health.port,
        )
        interval = self.config.interval_s
        catch_up = max(1, round(_CATCH_UP_S / interval))
        try:
            self.ticker.prepare(datetime.now(UTC))
            self.wait_for_topic()
            next_tick = cadence.next_index(time.time(), interval)
            while not self.stopping.is_set():
                due = cadence.grid_time(next_tick, interval).timestamp()
                # Wake at the grid time (from the clock, so waits never add up to drift);
                # poll the Kafka client while waiting so callbacks run promptly.
                while not self.stopping.is_set() and (wait := due - time.time()) > 0:
                    self.stopping.wait(min(wait, 0.5))
                    self.publisher.poll()
                if self.stopping.is_set():
                    break
                self.reload(datetime.now(UTC))
                late = cadence.grid_index(time.time(), interval)
                first = max(next_tick, late - catch_up + 1)
                if first > next_tick:
                    log.warning(
                        "stalled for %d grid times; publishing the last %d, skipping %d",
                        late - next_tick + 1,
                        late - first + 1,
                        first - next_tick,
                    )
                self.publish_at(range(first, late + 1))
                next_tick = late + 1
        finally:
            self.reloader.close()
            self.publisher.flush_and_report(self.config.flush_timeout_s)
            self.health.stop()
        return 0


def run_group(config: GroupConfig) -> int:
    """The shard's whole life; 2 when its files cannot be used at start-up."""
    reloader = GroupReloader(
        ElementsDir(config.elements_dir, config.elements_stale_after),
        PlanFile(config.shard_plan_file) if config.shard_plan_file is not None else None,
    )
    try:
        loaded, plan = reloader.load()
    except GroupSourceError as error:
        reloader.close()
        log.error("cannot start the group shard: %s", error)
        return EXIT_USAGE
    service = GroupService(config, reloader, loaded, plan)
    signal.signal(signal.SIGTERM, service.stop)
    signal.signal(signal.SIGINT, service.stop)
    return service.run()
