"""A SatelliteGroup's position stream without the operator: position batches (schema v2)
of many objects, one per shard per tick, as the group's shard producers write them.

For the frontend's tests and benchmarks (and to explore the page by hand): the bundled
16,069-object catalogue, or any element sets, propagated with SGP4 in one vectorised call
per tick, split among shards by :func:`satfeed_core.shards.shard_of`, each shard's batch
written to partition ``shard % partitions`` keyed by the shard's index, at whole multiples
of the interval, with the sample time as the record's timestamp.

    uv run --frozen python -m satfeed_dev.catalogue_feed --bootstrap-servers HOST:PORT \\
        --topic satfeed.positions.catalogue --create --shards 4
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from satfeed_core.batch import PositionBatch, encode_batch
from satfeed_core.elements import Elements, load_elements
from satfeed_core.propagation import Sgp4Propagator
from satfeed_core.shards import shard_of

from .sample_data import CATALOGUE, tle_file

log = logging.getLogger(__name__)


def catalogue(count: int | None = None) -> list[Elements]:
    """The bundled catalogue's element sets (the newest of each object), or its first
    ``count`` objects."""
    newest: dict[int, Elements] = {}
    for elements in load_elements(tle_file(CATALOGUE)):
        known = newest.get(elements.norad_id)
        if known is None or elements.epoch > known.epoch:
            newest[elements.norad_id] = elements
    chosen = list(newest.values())
    return chosen if count is None else chosen[:count]


def snapshot_offset(members: Sequence[Elements], now: datetime | None = None) -> timedelta:
    """How far back the elements' newest epoch is: propagating that much earlier flies every
    object as at the snapshot (whole days, so the sun and the Earth's turn stay alike)."""
    newest = max(each.epoch for each in members)
    behind = (now or datetime.now(UTC)) - newest
    return timedelta(days=max(0, behind.days))


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """The group's topic, as the operator's KafkaTopic declares it (Kafka auto-creates none)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        future.result(30)


class CatalogueFeed:
    """One batch per shard per tick into one topic; ``start`` runs it at whole intervals."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        members: Sequence[Elements],
        shards: int = 4,
        partitions: int | None = None,
        interval_s: float = 1.0,
        propagate_earlier: timedelta = timedelta(0),
    ) -> None:
        """``propagate_earlier``: positions are computed for that long before each sample
        time (and published as of the sample time): the bundled catalogue's objects as they
        flew near its snapshot, when today some have decayed out of their elements' reach."""
        self.topic = topic
        self.propagate_earlier = propagate_earlier
        self.shards = shards
        self.partitions = partitions or shards
        self.interval_s = interval_s
        self.propagator = Sgp4Propagator(list(members))
        self.norad_id = np.array([m.norad_id for m in members], dtype=np.uint32)
        self.epoch_s = np.array([int(m.epoch.timestamp()) for m in members], dtype=np.uint32)
        self.shard = np.array([shard_of(int(n), shards) for n in self.norad_id], dtype=np.int64)
        self.producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "linger.ms": 5,
                "message.max.bytes": 2_000_000,
                "compression.type": "lz4",
            }
        )
        self.published = 0
        """Ticks published."""
        self.last_time: datetime | None = None
        self.last_publish_s = 0.0
        """How long the last tick took to propagate and encode (for the benchmarks)."""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="catalogue-feed", daemon=True)

    def batches(self, when: datetime) -> list[PositionBatch]:
        """Every shard's batch at ``when``; objects SGP4 cannot place then are left out."""
        positions = self.propagator.positions_at(when - self.propagate_earlier)
        lon, lat = positions.lon_deg[:, 0], positions.lat_deg[:, 0]
        alt, speed = positions.alt_km[:, 0], positions.speed_km_s[:, 0]
        ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(alt) & np.isfinite(speed)
        time_ms = round(when.timestamp() * 1000)
        out = []
        for shard in range(self.shards):
            rows = np.flatnonzero(ok & (self.shard == shard))
            out.append(
                PositionBatch(
                    shard=shard,
                    time_ms=time_ms,
                    norad_id=self.norad_id[rows],
                    lon_deg=np.clip(lon[rows], -180.0, 180.0).astype(np.float32),
                    lat_deg=lat[rows].astype(np.float32),
                    alt_km=alt[rows].astype(np.float32),
                    speed_km_s=speed[rows].astype(np.float32),
                    elements_epoch_s=self.epoch_s[rows],
                )
            )
        return out

    def publish(self, when: datetime) -> None:
        started = time.perf_counter()
        time_ms = round(when.timestamp() * 1000)
        for batch in self.batches(when):
            self.producer.produce(
                self.topic,
                value=encode_batch(batch),
                key=str(batch.shard).encode(),
                partition=batch.shard % self.partitions,
                timestamp=time_ms,
            )
        self.producer.poll(0)
        self.published += 1
        self.last_time = when
        self.last_publish_s = time.perf_counter() - started

    def backfill(self, ticks: int) -> None:
        """``ticks`` past ticks, up to the last whole interval."""
        now = self._grid(time.time())
        for back in range(ticks, 0, -1):
            self.publish(datetime.fromtimestamp(now - back * self.interval_s, UTC))
        self.flush()

    def flush(self) -> None:
        if self.producer.flush(30) != 0:
            raise RuntimeError("position batches were not delivered")

    def _grid(self, t: float) -> float:
        return float(np.floor(t / self.interval_s) * self.interval_s)

    def _run(self) -> None:
        while not self._stopping.is_set():
            due = self._grid(time.time()) + self.interval_s
            if self._stopping.wait(max(0.0, due - time.time())):
                break
            try:
                self.publish(datetime.fromtimestamp(due, UTC))
            except Exception:  # a hiccup must not end the feed a test or bench relies on
                log.exception("publishing the tick at %s failed", due)

    def start(self) -> CatalogueFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.producer.flush(10)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, help="the catalogue's first COUNT objects only")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--partitions", type=int, help="default: one per shard")
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--create", action="store_true", help="create the topic first")
    parser.add_argument("--backfill", type=int, default=0, help="ticks to publish at once")
    parser.add_argument(
        "--at-snapshot",
        action="store_true",
        help="propagate as at the elements' snapshot (whole days back), so every object has a "
        "position although some have decayed since",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if args.create:
        create_topic(args.bootstrap_servers, args.topic, args.partitions or args.shards)
    members = catalogue(args.count)
    feed = CatalogueFeed(
        args.bootstrap_servers,
        args.topic,
        members,
        args.shards,
        args.partitions,
        args.interval,
        snapshot_offset(members) if args.at_snapshot else timedelta(0),
    )
    feed.backfill(args.backfill)
    feed.start()
    print(f"publishing {len(members)} objects in {args.shards} shards to {args.topic}; Ctrl-C")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        feed.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
